"""Scanner adapters: one module per tool behind the `Scanner` protocol of `base`."""
