"""Échéance glissante de la session, écrite au plus une fois par minute.

SESSION_SAVE_EVERY_REQUEST réécrivait la session (BEGIN, UPDATE, COMMIT) à chaque page et à chaque
enregistrement automatique d'une grille, soit trois allers-retours avec la base sur une quinzaine. Ici, la session
n'est marquée modifiée que si sa dernière prolongation date d'au moins une minute : la déconnexion après une heure
d'inactivité (SESSION_COOKIE_AGE) a lieu entre 59 et 60 minutes après la dernière requête.
"""

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
