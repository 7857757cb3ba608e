"""Protections transverses : adresse du client pour le blocage des connexions, cellules exportées vers un tableur."""

from django.conf import settings

# Un tableur interprète une cellule qui commence par l'un de ces caractères comme une formule
# (injection de formule, OWASP « CSV Injection ») : =HYPERLINK(…), +cmd|…, -2+3, @SUM(…).
# La tabulation et le retour chariot en tête servent à contourner les filtres naïfs.
DEBUTS_DE_FORMULE = ("=", "+", "-", "@", "\t", "\r")


def neutraliser_formule(valeur: str) -> str:
    """Préfixe d'une apostrophe une valeur qu'un tableur prendrait pour une formule (recommandation OWASP).

    À appliquer à chaque cellule de texte d'un export CSV ou XLSX. La cellule devient du texte : le tableur
    n'évalue rien (l'apostrophe reste visible, ce qui signale la valeur suspecte). Indispensable en XLSX :
    openpyxl écrit toute chaîne commençant par « = » comme une formule. Les nombres écrits comme nombres
    n'ont pas besoin de passer par ici.
    """
    if valeur.startswith(DEBUTS_DE_FORMULE):
        return "'" + valeur
    return valeur


def adresse_client(request) -> str | None:
    """L'adresse du client, pour compter les échecs de connexion (django-axes) par identifiant et adresse.

    Derrière N mandataires de confiance (nginx : `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`),
    la N-ième adresse en partant de la fin de X-Forwarded-For est celle qu'a vue notre premier mandataire ; ce qui
    est plus à gauche vient du client et peut être inventé. Sans mandataire (NOMBRE_MANDATAIRES = 0), l'en-tête
    est ignoré : sinon un attaquant changerait d'adresse à chaque essai.
    """
    nombre = settings.NOMBRE_MANDATAIRES
    if nombre > 0:
        adresses = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(adresses) >= nombre:
            return adresses[-nombre]
    return request.META.get("REMOTE_ADDR")


def identifiant_axes(request, credentials=None) -> str:
    """L'identifiant que django-axes enregistre pour une tentative : tronqué à la longueur d'un identifiant Django
    (150). Sans cela, un identifiant de 300 caractères posté à la connexion dépassait la colonne d'axes (255) et
    donnait une erreur 500 au lieu de « identifiant ou mot de passe incorrect »."""
    valeur = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(valeur)[:150]


class IdentifiantDansLeMotDePasse:
    """Refuse un mot de passe qui contient l'identifiant, le prénom, le nom ou le début de l'adresse électronique.

    `UserAttributeSimilarityValidator` compare des chaînes entières : « cible12345 » pour « cible » n'y est
    semblable qu'à 0,67 et passait le seuil par défaut (0,7). Un mot de passe qui contient l'identifiant se
    devine en quelques essais : il est refusé quelle que soit sa longueur (attributs de 3 caractères au moins,
    sans tenir compte de la casse ni des accents).
    """

    ATTRIBUTS = ("username", "first_name", "last_name", "email")

    def validate(self, password, user=None):
        from django.core.exceptions import ValidationError

        if user is None:
            return
        mot = _sans_accents(password)
        for attribut in self.ATTRIBUTS:
            valeur = str(getattr(user, attribut, "") or "")
            if attribut == "email":
                valeur = valeur.partition("@")[0]
            valeur = _sans_accents(valeur)
            if len(valeur) >= 3 and valeur in mot:
                raise ValidationError(
                    "Le mot de passe contient votre identifiant, votre nom ou votre adresse : choisissez-en un autre.",
                    code="password_contains_user_attribute",
                )

    def get_help_text(self):
        return "Le mot de passe ne doit contenir ni votre identifiant, ni votre nom, ni votre adresse électronique."


def _sans_accents(texte: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", texte.casefold()) if not unicodedata.combining(c))
