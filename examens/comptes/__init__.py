"""Comptes, rôles et périmètres, administrés dans les pages de l'application (issue #17).

Dans examens plutôt que dans agora : le journal et les modèles du périmètre (établissements, divisions) sont ici, et
la couche du bas n'importe aucune application métier (tests/agora/test_dependances.py).
"""
