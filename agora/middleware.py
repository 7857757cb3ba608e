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
            from django.shortcuts import render

            return render(request, "requete_refusee.html", {"motif": "caractere"}, status=400)
        if any(len(v) > PARAMETRE_GET_MAX for valeurs in request.GET.lists() for v in valeurs[1]):
            from django.shortcuts import render

            return render(request, "requete_refusee.html", {"motif": "longueur", "max": PARAMETRE_GET_MAX}, status=400)
        return self.get_response(request)

    @staticmethod
    def interdit(request) -> bool:
        if CARACTERES_INTERDITS.search(request.path):
            return True
        donnees = [request.GET]
        if request.method == "POST":
            try:
                donnees += [request.POST, request.FILES]
            except Exception:  # corps mal formé : Django répondra lui-même 400 plus loin
                return False
        for dictionnaire in donnees:
            for cle, valeurs in dictionnaire.lists():
                if CARACTERES_INTERDITS.search(cle):
                    return True
                for valeur in valeurs:
                    texte = valeur if isinstance(valeur, str) else getattr(valeur, "name", "") or ""
                    if CARACTERES_INTERDITS.search(texte):
                        return True
        return False
