"""The service seam between the channels and the core: start-up, the serving Bot and its index switch,
fair admission to the answer threads, asking (one length rule and one bookkeeping for every channel),
the library (what staff pages and probes read of the served knowledge), metrics."""
