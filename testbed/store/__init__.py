"""The observation store: raw rows, and the sums an analysis reads instead of them."""
