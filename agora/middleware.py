"""Intergiciels d'AGOrA : échéance glissante de la session, refus des caractères que la base ne stocke pas.

Échéance glissante de la session, écrite au plus une fois par minute.

SESSION_SAVE_EVERY_REQUEST réécrivait la session (BEGIN, UPDATE, COMMIT) à chaque page et à chaque
enregistrement automatique d'une grille, soit trois allers-retours avec la base sur une quinzaine. Ici, la session
n'est marquée modifiée que si sa dernière prolongation date d'au moins une minute : la déconnexion après une heure
d'inactivité (SESSION_COOKIE_AGE) a lieu entre 59 et 60 minutes après la dernière requête.
"""

import re
import time

PROLONGATION_SECONDES = 60
CLE = "_prolongee"


class ProlongerSession:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Une session vide (visiteur non connecté, déconnexion) n'est jamais créée ni prolongée ici.
        if session is not None and session.session_key and not session.is_empty():
            maintenant = int(time.time())
            if maintenant - session.get(CLE, 0) >= PROLONGATION_SECONDES:
                session[CLE] = maintenant  # modifiée : SessionMiddleware l'enregistre avec une nouvelle échéance
        return response


# Le caractère nul, que PostgreSQL refuse dans tout texte (« A string literal cannot contain NUL »), et les
# demi-paires UTF-16 isolées (U+D800 à U+DFFF), qu'aucun encodage ne sait écrire : la base ou l'encodeur lève
# une exception, donc une erreur 500, bien après que la vue a commencé son travail.
CARACTERES_INTERDITS = re.compile("[\x00\ud800-\udfff]")
# Un paramètre d'adresse est un filtre, un numéro ou une recherche : quelques dizaines de caractères. Au-delà de
# 1 000, il ne vient pas d'un formulaire du site ; plus long, un nombre ferait échouer int() (4 300 chiffres au
# plus) et une recherche ferait parcourir des mégaoctets à PostgreSQL.
PARAMETRE_GET_MAX = 1000


class RefuserCaracteresInterdits:
    """Refuse (400, page en français) toute requête dont l'adresse, un paramètre ou un champ de formulaire
    contient un caractère nul ou une demi-paire isolée, ou dont un paramètre d'adresse dépasse 1 000 caractères.

    Un seul endroit, en tête de chaîne, plutôt qu'un contrôle par formulaire et par filtre : aucune vue n'a à y
    penser. Refuser plutôt que retirer le caractère : personne ne tape de caractère nul, sa présence signale un
    outil ou une attaque, et une note « 1\\x002 » devenue silencieusement « 12 » changerait ce que l'utilisateur
    croit avoir envoyé. Le refus ne change rien, comme toute erreur de saisie. Les noms de fichiers téléversés
    sont vérifiés aussi ; leur contenu, lui, passe par la lecture des imports, qui a ses propres refus.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.interdit(request):
            return self.refus(
                request,
                "caractere",
                "L'adresse ou le formulaire contient un caractère invalide (caractère nul ou caractère Unicode "
                "incomplet) : rien n'a été enregistré.",
            )
        if any(len(v) > PARAMETRE_GET_MAX for _, valeurs in request.GET.lists() for v in valeurs):
            return self.refus(
                request,
                "longueur",
                f"Un paramètre de l'adresse dépasse {PARAMETRE_GET_MAX} caractères : rien n'a été enregistré.",
            )
        return self.get_response(request)

    @staticmethod
    def refus(request, motif: str, message: str):
        """La page d'erreur pour une navigation ; du JSON pour un appel de script (enregistrement automatique des
        grilles et des notes), qui affiche alors le message à côté du champ au lieu de réessayer sans fin."""
        from django.http import JsonResponse
        from django.shortcuts import render

        mode = request.headers.get("Sec-Fetch-Mode", "navigate")
        if mode != "navigate" or "X-Requested-With" in request.headers or "HX-Request" in request.headers:
            return JsonResponse({"ok": False, "erreur": message}, status=400)
        return render(request, "requete_refusee.html", {"motif": motif, "max": PARAMETRE_GET_MAX}, status=400)

    @staticmethod
    def interdit(request) -> bool:
        if CARACTERES_INTERDITS.search(request.path) or _contient_interdit(request.GET):
            return True
        if request.method == "POST":
            try:
                return _contient_interdit(request.POST) or _contient_interdit(request.FILES)
            except Exception:  # corps mal formé ou trop gros : Django répondra lui-même 400 plus loin
                return False
        return False


def _contient_interdit(dictionnaire) -> bool:
    for cle, valeurs in dictionnaire.lists():
        if CARACTERES_INTERDITS.search(cle):
            return True
        for valeur in valeurs:
            texte = valeur if isinstance(valeur, str) else getattr(valeur, "name", "") or ""
            if CARACTERES_INTERDITS.search(texte):
                return True
    return False
