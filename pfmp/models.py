"""Périodes de formation en milieu professionnel (Annexe III)."""
