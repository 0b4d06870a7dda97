"""Evaluation: score the bot on question sets (eval/*.yaml) the way `kepu eval` does: in-scope questions,
hard negatives and rumor verdicts (trust), approved Q&A pairs (faq)."""
