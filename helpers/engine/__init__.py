"""Training: the batched engine (stacked weights, hand-written backward, fused Adam), what a run records (probes,
recorder), the plain reference loop and the backward pass on a page, grids of runs, and chapter 10's layer types by
autograd (blocks). Every cached run's key hashes this folder."""
