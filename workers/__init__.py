"""Job functions (take ids, re-read state, safe to run twice) and the dispatchers."""
