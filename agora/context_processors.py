from agora.roles import role_de


def navigation(request):
    user = getattr(request, "user", None)
    return {"role": role_de(user) if user else None}
