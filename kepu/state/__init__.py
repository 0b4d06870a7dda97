"""State a serving process keeps between requests: interfaces, in-process versions, Redis versions (for
several replicas, each falling back to its in-process twin while Redis is down), and the choice of the
two at start-up (shared)."""
