"""What every run is made of: the activation registry, the configs, the data, the networks and their inits, the
engine's buffers, and the self-describing results files. Every cached run's key hashes this folder."""
