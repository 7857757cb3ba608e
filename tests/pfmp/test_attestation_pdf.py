import io

import pytest
from pypdf import PdfReader

from pfmp.models import Attestation

pytestmark = pytest.mark.django_db


def test_l_attestation_se_telecharge_en_pdf_avec_son_contenu(settings):
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    settings.DEBUG = True
    call_command("charger_demo", verbosity=0)
    settings.DEBUG = False
    attestation = Attestation.objects.select_related("periode__convention__candidat").first()
    client = Client()
    client.force_login(User.objects.get(username="gestionnaire"))
    reponse = client.get(f"/pfmp/attestations/{attestation.pk}/?format=pdf")
    assert reponse.status_code == 200 and reponse["Content-Type"] == "application/pdf"
    texte = "".join(page.extract_text() for page in PdfReader(io.BytesIO(reponse.content)).pages)
    assert attestation.periode.convention.candidat.nom in texte
    autre = Client()
    autre.force_login(User.objects.get(username="enseignant2"))
    candidat = attestation.periode.convention.candidat
    if candidat.division and candidat.division.nom != "TAGORA":
        assert autre.get(f"/pfmp/attestations/{attestation.pk}/?format=pdf").status_code == 404
