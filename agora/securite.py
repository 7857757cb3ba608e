"""Protections transverses : ce qui sort de l'application vers un tableur."""

# Un tableur interprète une cellule qui commence par l'un de ces caractères comme une formule
# (injection de formule, OWASP « CSV Injection ») : =HYPERLINK(…), +cmd|…, -2+3, @SUM(…).
# La tabulation et le retour chariot en tête servent à contourner les filtres naïfs.
DEBUTS_DE_FORMULE = ("=", "+", "-", "@", "\t", "\r")


def neutraliser_formule(valeur: str) -> str:
    """Préfixe d'une apostrophe une valeur qu'un tableur prendrait pour une formule.

    À appliquer à chaque cellule de texte d'un export CSV ou XLSX : l'apostrophe force le texte et ne
    s'affiche pas dans Excel ni LibreOffice. Les nombres ne passent pas par ici (une note négative n'existe
    pas, et un nombre écrit par openpyxl n'est jamais une formule).
    """
    if valeur.startswith(DEBUTS_DE_FORMULE):
        return "'" + valeur
    return valeur
