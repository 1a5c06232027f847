"""Data sources: pilots fed from the company's own databases, aggregated where the data live."""
