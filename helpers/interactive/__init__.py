"""What a reader moves: the ipywidgets explorers, the offline explorers of the site, and the in-page trainer (each
module's JavaScript lies beside it)."""
