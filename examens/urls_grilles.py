"""Grilles d'évaluation CCF (enseignants, commissions)."""

urlpatterns = []
