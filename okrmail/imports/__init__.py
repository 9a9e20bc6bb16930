"""CSV imports of people and OKRs: validate the whole file, then apply all or nothing."""
