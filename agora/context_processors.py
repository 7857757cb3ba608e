from agora.roles import LIBELLES, role_de

# Section du menu de chaque page, d'après l'espace de noms de son URL (les grilles CCF partagent celui des examens).
SECTIONS = {"referentiel": "referentiel", "pfmp": "pfmp", "admin": "administration", "comptes": "comptes"}


def section_de(request) -> str | None:
    """La rubrique du menu à mettre en évidence (aria-current) ; None sur une page hors menu (erreur 404…)."""
    vue = getattr(request, "resolver_match", None)
    if vue is None:
        return None
    if vue.namespace == "examens":
        return "grilles" if vue.url_name.startswith(("commission", "grille")) else "sessions"
    if not vue.namespace and vue.url_name == "accueil":
        return "accueil"
    return SECTIONS.get(vue.namespace)


def navigation(request):
    user = getattr(request, "user", None)
    role = role_de(user) if user else None
    return {"role": role, "role_libelle": LIBELLES.get(role, role), "section": section_de(request)}
