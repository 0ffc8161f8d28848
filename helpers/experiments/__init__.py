"""The book's runs: each named run defined once (registry, registry_deep: chapters 8 and 9), computed once and
cached (cache), in two processes (precompute); the measurements at initialisation and at finite width, and the
explorers' statistics."""
