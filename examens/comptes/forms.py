"""Formulaires des comptes : `novalidate` dans les gabarits, les messages viennent tous du serveur."""

from itertools import groupby

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator

from examens.comptes import services


def _classes(form) -> None:
    for champ in form.fields.values():
        if isinstance(champ.widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            continue
        champ.widget.attrs.setdefault(
            "class", "form-select" if isinstance(champ.widget, forms.Select) else "form-control"
        )


class CompteForm(forms.Form):
    """Identité, rôles et périmètre. Le champ de chaque sorte de périmètre vient de services.PERIMETRES."""

    identifiant = forms.CharField(
        label="Identifiant",
        max_length=100,  # la longueur que le journal garde (Journal.objet)
        validators=[UnicodeUsernameValidator()],
        help_text="Lettres, chiffres et . @ + - _ ; il ne change plus ensuite (le journal s'y réfère).",
    )
    prenom = forms.CharField(label="Prénom", max_length=150)
    nom = forms.CharField(label="Nom", max_length=150)
    email = forms.EmailField(label="Adresse électronique", required=False, max_length=254)
    roles = forms.MultipleChoiceField(label="Rôles", widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args, compte=None, **kwargs):
        if compte is not None:
            kwargs.setdefault(
                "initial",
                {
                    "identifiant": compte.username,
                    "prenom": compte.first_name,
                    "nom": compte.last_name,
                    "email": compte.email,
                    "roles": list(compte.groups.filter(name__in=services.roles()).values_list("name", flat=True)),
                    **{p.cle: [o.pk for o in p.objets(compte)] for p in services.PERIMETRES},
                },
            )
        super().__init__(*args, **kwargs)
        self.compte = compte
        # Lus à chaque formulaire : un rôle ajouté à agora.roles apparaît sans toucher à ce code.
        self.fields["roles"].choices = [(r, services.libelle_role(r)) for r in services.roles()]
        for p in services.PERIMETRES:
            self.fields[p.cle] = forms.ModelMultipleChoiceField(
                queryset=p.choix(), label=p.libelle, required=False, widget=forms.CheckboxSelectMultiple
            )
        if compte is not None:
            # L'identifiant est la référence du journal : affiché, jamais modifiable.
            self.fields["identifiant"].disabled = True
        _classes(self)

    def perimetres(self):
        """Pour le gabarit : chaque sorte de périmètre, ses cases groupées (« Session 2026 — Lycée X ») et
        cochées d'après la saisie (reprise telle quelle après une erreur) ou l'état du compte."""
        resultat = []
        for p in services.PERIMETRES:
            champ = self[p.cle]
            coches = {str(v) for v in (champ.value() or [])}
            objets = list(p.choix())
            groupes = [
                (titre, [(o, str(o.pk) in coches) for o in objets_du_groupe])
                for titre, objets_du_groupe in groupby(objets, key=p.groupe)
            ]
            resultat.append({"perimetre": p, "champ": champ, "groupes": groupes})
        return resultat

    def donnees(self) -> dict:
        d = self.cleaned_data
        return {
            "prenom": d["prenom"],
            "nom": d["nom"],
            "email": d["email"],
            "roles_choisis": d["roles"],
            "perimetres": {p.cle: list(d[p.cle]) for p in services.PERIMETRES},
        }


class CreationCompteForm(CompteForm):
    envoyer_lien = forms.BooleanField(
        label="Envoyer par courriel un lien pour choisir son mot de passe", required=False, initial=True
    )
    mot_de_passe = forms.CharField(
        label="Ou un mot de passe initial",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Facultatif ; à transmettre de vive voix. Mêmes règles que pour changer son mot de passe.",
    )

    def clean(self):
        d = super().clean()
        if d.get("envoyer_lien") and not d.get("email") and "email" not in self.errors:
            self.add_error("email", "Indiquez l'adresse à laquelle envoyer le lien.")
        if not d.get("envoyer_lien") and not d.get("mot_de_passe"):
            self.add_error("mot_de_passe", "Donnez un mot de passe initial, ou cochez l'envoi du lien.")
        return d


class MotDePasseForm(forms.Form):
    mot_de_passe = forms.CharField(
        label="Nouveau mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "form-control"}),
    )
    confirmation = forms.CharField(
        label="Confirmation",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "form-control"}),
    )

    def clean(self):
        d = super().clean()
        if d.get("mot_de_passe") and d.get("confirmation") and d["mot_de_passe"] != d["confirmation"]:
            self.add_error("confirmation", "Les deux mots de passe ne sont pas identiques.")
        return d


class FiltreComptesForm(forms.Form):
    q = forms.CharField(label="Rechercher", required=False, max_length=150)
    role = forms.ChoiceField(label="Rôle", required=False)
    actif = forms.ChoiceField(
        label="État", required=False, choices=[("", "tous"), ("oui", "actifs"), ("non", "désactivés")]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "tous"), *((r, services.libelle_role(r)) for r in services.roles())]
        self.fields["role"].choices.append(("aucun", "sans rôle"))
        for champ in self.fields.values():
            champ.widget.attrs["class"] = "form-select" if isinstance(champ.widget, forms.Select) else "form-control"
