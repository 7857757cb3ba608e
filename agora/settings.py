"""Réglages d'AGOrA Examens : un seul fichier, lu depuis l'environnement (rien n'existe qu'en production)."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(nom: str, defaut: bool) -> bool:
    valeur = os.environ.get(nom)
    if valeur is None:
        return defaut
    if valeur.lower() in {"1", "true", "yes", "oui", "on"}:
        return True
    if valeur.lower() in {"0", "false", "no", "non", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{nom} doit valoir 1/0, true/false ou oui/non (reçu {valeur!r})")


DEBUG = envbool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY est obligatoire quand DEBUG est désactivé.")
    SECRET_KEY = "dev-uniquement-jamais-en-production-" + "x" * 32
# Clé de signature des sauvegardes (HMAC-SHA256, examens/sauvegarde.py) : distincte de SECRET_KEY, pour qu'on puisse
# la confier à qui restaure sans lui donner de quoi forger des sessions web. Obligatoire quand DEBUG est désactivé,
# mais contrôlée par « sauvegarder » et « restaurer » seulement : le serveur web n'en a pas besoin.
SAUVEGARDE_CLE = os.environ.get("SAUVEGARDE_CLE", "")
if not SAUVEGARDE_CLE and DEBUG:
    import hashlib
    import hmac

    SAUVEGARDE_CLE = hmac.new(SECRET_KEY.encode(), b"agora.sauvegarde.developpement", hashlib.sha256).hexdigest()
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "axes",
    "procrastinate.contrib.django",
    "agora",
    "referentiel",
    "examens",
    "pfmp",
    "demo",  # en haut de la pile : démonstration et données synthétiques
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "agora.middleware.ProlongerSession",
    "django.middleware.common.CommonMiddleware",
    "agora.middleware.RefuserCaracteresInterdits",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "agora.urls"
WSGI_APPLICATION = "agora.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "agora.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:55432/agora")
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("DATABASE_URL doit désigner une base PostgreSQL (postgresql://…).")
# agora.postgresql : le moteur de Django, dont le contrôle de santé des connexions ne fait pas d'aller-retour.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True, engine="agora.postgresql")
}
# Sans compilation JIT : PostgreSQL la déclenche sur le coût estimé, et le périmètre d'un gestionnaire académique
# (sous-requêtes en OU, dont une corrélée) est estimé 600 000 pour une session de 25 000 candidats ; compiler coûtait
# alors 0,6 s par requête au procès-verbal (1,3 à 2,2 s la page), pour des requêtes qui s'exécutent en 20 à 60 ms.
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
# Les requêtes figées (agora/requetes.py) préparées une fois par connexion : à 0 derrière un PgBouncer en mode
# transaction, où une requête préparée ne suit pas le client d'une connexion du serveur à l'autre.
REQUETES_PREPAREES = envbool("REQUETES_PREPAREES", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, les permissions en une requête (agora/authentification.py)
    "agora.authentification.PermissionsEnUneRequete",
]
AUTH_PASSWORD_VALIDATORS = [
    # 0,5 au lieu de 0,7 : « cible12345 » pour l'identifiant « cible » (0,67) passait.
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"max_similarity": 0.5},
    },
    {"NAME": "agora.securite.IdentifiantDansLeMotDePasse"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accueil"
LOGOUT_REDIRECT_URL = "login"

# Connexions : blocage après 5 échecs pour un couple identifiant + adresse, pendant 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/bloque.html"
AXES_VERBOSE = False
# Derrière nginx, REMOTE_ADDR est celle du mandataire : l'adresse du client vient de X-Forwarded-For.
NOMBRE_MANDATAIRES = int(os.environ.get("NOMBRE_MANDATAIRES", 0))
AXES_CLIENT_IP_CALLABLE = "agora.securite.adresse_client"
AXES_USERNAME_CALLABLE = "agora.securite.identifiant_axes"

# Session : expire après une heure d'inactivité (échéance repoussée au plus une fois par minute,
# agora.middleware.ProlongerSession) et à la fermeture du navigateur.
# Sessions en base (rien sur le disque d'un nœud web), relues par une requête compilée une fois (agora/sessions.py).
SESSION_ENGINE = "agora.sessions"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_INACTIVITE_SECONDES", 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Une seule langue, le français, quelle que soit celle du navigateur : sans LANGUAGES, Django en propose une
# centaine, et LocaleMiddleware suivait l'en-tête Accept-Language (messages de Django en anglais et nombres à
# point décimal pour un navigateur réglé en anglais). Sans intergiciel de langue, chaque requête est en
# LANGUAGE_CODE, et ne paie plus la négociation.
LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / ".local" / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".local" / "media"))
MEDIA_URL = "media/"

# Courriels (liens des tuteurs PFMP, relances). Sans EMAIL_HOST : chaque message est écrit dans un fichier de
# EMAIL_FILE_PATH (.local/courriels/ par défaut), à lire avec un éditeur ; avec EMAIL_HOST : envoi SMTP.
if os.environ.get("EMAIL_HOST") or not DEBUG:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("EMAIL_PORT", 25)),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": envbool("EMAIL_USE_TLS", False),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / ".local" / "courriels"))},
        }
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "AGOrA Examens <ne-pas-repondre@agora.invalid>")
# Adresse publique de l'application, pour les liens des courriels envoyés hors d'une requête (relances).
URL_BASE = os.environ.get("URL_BASE", "http://127.0.0.1:8000")
# Unité de mobilité : « etranger » (arrêté du 30 août 2019, lecture retenue) ou « ue_eee_aele » (annexe III).
AGORA_ZONE_MOBILITE = os.environ.get("AGORA_ZONE_MOBILITE", "etranger")
# Lien personnel du tuteur : valable ce nombre de jours ; relances quelques jours avant et après la fin de la période.
PFMP_LIEN_TUTEUR_JOURS = int(os.environ.get("PFMP_LIEN_TUTEUR_JOURS", 30))
PFMP_RELANCE_JOURS_AVANT = int(os.environ.get("PFMP_RELANCE_JOURS_AVANT", 3))
PFMP_RELANCE_JOURS_APRES = int(os.environ.get("PFMP_RELANCE_JOURS_APRES", 3))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Téléversements : 5 Mo au plus (les imports de 25 000 lignes tiennent en 2 Mo).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
TAILLE_MAX_IMPORT = 5 * 1024 * 1024

# Sécurité : en-têtes toujours actifs ; HTTPS imposé quand DEBUG est désactivé.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Cookies réservés à HTTPS ; COOKIES_HTTPS=0 seulement pour un banc d'essai HTTP sur 127.0.0.1.
    SESSION_COOKIE_SECURE = envbool("COOKIES_HTTPS", True)
    CSRF_COOKIE_SECURE = envbool("COOKIES_HTTPS", True)

# Données personnelles : durée de conservation des candidats après leur dernière session (en années).
RETENTION_ANNEES = int(os.environ.get("RETENTION_ANNEES", 5))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
