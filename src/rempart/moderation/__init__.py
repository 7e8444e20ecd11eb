"""Items, accounts, notices, orders, review queues, decisions, appeals, strikes."""
