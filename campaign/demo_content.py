"""Demo content for a fresh site, in Dutch and English. Written for this project."""

CAMPAIGN = {
    "key": "meta-ai-objection",
    "name": "Object to Meta's AI training",
    # Meta's own forms for objecting to the use of your information for AI (public facts).
    "facebook_form_url": "https://www.facebook.com/help/contact/712876720715583",
    "instagram_form_url": "https://help.instagram.com/contact/767264225370182",
    # A goal the campaign page shows progress toward: new monthly, quarterly or yearly donors.
    "goal_kind": "donors",
    "goal_target": 250,
}

# Campaign links staff would make for print and mail (/d/<code>/), each counted on its own.
CAMPAIGN_LINKS = [
    {
        "code": "nieuwsbrief",
        "label": "Nieuwsbrief december",
        "target": "give",
        "language": "nl",
        "amount": 10,
        "frequency": "monthly",
    },
    {
        "code": "poster",
        "label": "Poster in de bibliotheek",
        "target": "page",
        "language": "nl",
    },
    {
        "code": "newsletter",
        "label": "English newsletter",
        "target": "give",
        "language": "en",
        "frequency": "oneoff",
        "amount": 25,
    },
]

CAMPAIGN_ARTICLES = {
    "nl": {
        "slug": "maak-bezwaar-tegen-meta-ai",
        "title": "Meta wil zijn AI trainen met jouw berichten en foto's. Maak bezwaar.",
        "lead": (
            "Meta gebruikt openbare berichten, foto's en reacties van volwassen gebruikers in "
            "Europa om zijn AI-modellen te trainen. Je hoeft dat niet te accepteren: met een "
            "bezwaar van vijf minuten haal je jouw gegevens eruit."
        ),
        "body": """\
Alles wat je de afgelopen jaren openbaar op Facebook of Instagram hebt gezet, kan in de
trainingsdata van Meta's AI belanden: vakantiefoto's, verjaardagsberichten, reacties onder
nieuwsartikelen. Meta beroept zich daarvoor op een "gerechtvaardigd belang". Dat betekent dat
het bedrijf je niet om toestemming vraagt, maar dat jij zelf actief moet laten weten dat je het
er niet mee eens bent.

## Waarom dit ertoe doet

- **Je raakt de controle kwijt.** Wat eenmaal in een model is verwerkt, krijg je er niet meer
  uit. Een bericht verwijderen haalt het niet uit een model dat al getraind is.
- **Het gaat ook over anderen.** Op jouw foto's staan vrienden, familie en kinderen die nooit
  hebben ingestemd.
- **Zwijgen telt als ja.** Wie niets doet, doet automatisch mee.

## Wat een bezwaar wel en niet doet

Een bezwaar geldt voor de toekomst: Meta moet jouw openbare inhoud vanaf dat moment buiten
nieuwe training houden. Privéberichten vallen volgens Meta niet onder de training, en ook
accounts van minderjarigen niet. Heb je zowel Facebook als Instagram, en zijn ze niet
gekoppeld in het Accountcentrum? Maak dan voor elk account apart bezwaar.

Je hoeft geen reden op te geven. Meta moet een bezwaar tegen verwerking op grond van
gerechtvaardigd belang in behandeling nemen; de Autoriteit Persoonsgegevens raadt mensen
die niet willen meedoen uitdrukkelijk aan om bezwaar te maken.

Volg de stappen hieronder. Ben je klaar? Laat het ons weten met de knop "Ik heb bezwaar
gemaakt", zodat we kunnen laten zien hoeveel mensen dit niet pikken.
""",
        "steps": [
            (
                "Open de instellingen",
                "Log in op Facebook of Instagram, bij voorkeur in een webbrowser op je computer "
                "of telefoon. Ga naar **Instellingen en privacy** (Facebook) of open je profiel "
                "en kies het menu met de drie streepjes (Instagram).",
            ),
            (
                "Ga naar het Privacycentrum",
                "Kies **Privacycentrum**. Zoek daar het onderdeel over hoe Meta informatie "
                "gebruikt voor generatieve AI-modellen. Op Instagram vind je dit via "
                "**Info** en daarna **Privacybeleid**.",
            ),
            (
                "Open het bezwaarformulier",
                "Klik in de tekst op de link **recht van bezwaar** (soms: *Bezwaar maken*). "
                "Er opent een formulier. Controleer of het e-mailadres klopt: daar komt de "
                "bevestiging naartoe.",
            ),
            (
                "Geef een reden (mag, hoeft niet)",
                "Het tekstveld is niet verplicht, maar een korte zin helpt. Bijvoorbeeld: "
                "*Ik maak bezwaar tegen het gebruik van mijn berichten, foto's en reacties "
                "voor het trainen van AI. Ik heb hier geen toestemming voor gegeven.*",
            ),
            (
                "Verstuur het formulier",
                "Klik op **Versturen**. Meta stuurt een bevestiging per e-mail en in je meldingen.",
            ),
        ],
        "tips": (
            "**Bewaar de bevestiging.** Geen bevestiging binnen een paar dagen? Probeer het "
            "opnieuw, en meld het eventueel bij de Autoriteit Persoonsgegevens.\n\n"
            "**Herhaal het voor elk account.** Zijn je Facebook- en Instagram-accounts niet "
            "gekoppeld, of heb je er meer? Maak dan voor elk account bezwaar, en vraag je "
            "huisgenoten en familie om het ook te doen."
        ),
    },
    "en": {
        "slug": "object-to-meta-ai-training",
        "title": "Meta wants to train its AI on your posts and photos. Object now.",
        "lead": (
            "Meta uses public posts, photos and comments by adult users in Europe to train its "
            "AI models. You do not have to accept that: a five-minute objection takes your data "
            "out."
        ),
        "body": """\
Everything you have shared publicly on Facebook or Instagram over the years can end up in the
training data for Meta's AI: holiday photos, birthday wishes, comments under news stories.
Meta relies on what it calls a "legitimate interest" to do this. In plain words: the company
does not ask for your permission, and it is up to you to say that you do not agree.

## Why it matters

- **You lose control.** Once something has gone into a model, it does not come out again.
  Deleting a post does not remove it from a model that has already been trained.
- **It is about other people too.** Your photos show friends, family and children who never
  agreed to any of this.
- **Silence counts as yes.** If you do nothing, you are in.

## What an objection does and does not do

An objection works from now on: Meta has to keep your public content out of new training from
that moment. According to Meta, private messages are not used, and neither are accounts of
minors. Do you use both Facebook and Instagram, and are they not linked in Accounts Centre?
Then object for each account separately.

You do not have to give a reason. Meta has to handle an objection to processing based on
legitimate interest, and the Dutch Data Protection Authority explicitly advises people who do
not want to take part to object.

Follow the steps below. Done? Tell us with the "I objected" button, so we can show how many
people will not put up with this.
""",
        "steps": [
            (
                "Open your settings",
                "Log in to Facebook or Instagram, preferably in a web browser on your computer "
                "or phone. Go to **Settings & privacy** (Facebook), or open your profile and "
                "choose the menu with three lines (Instagram).",
            ),
            (
                "Go to the Privacy Centre",
                "Choose **Privacy Centre**. Look for the part about how Meta uses information "
                "for generative AI models. On Instagram you get there through **About** and "
                "then **Privacy Policy**.",
            ),
            (
                "Open the objection form",
                "In the text, follow the link **right to object**. A form opens. Check that "
                "the email address is right: the confirmation goes there.",
            ),
            (
                "Give a reason (optional)",
                "The text box is optional, but one short sentence helps. For example: *I "
                "object to the use of my posts, photos and comments for training AI. I never "
                "gave permission for this.*",
            ),
            (
                "Send the form",
                "Press **Send**. Meta confirms by email and in your notifications.",
            ),
        ],
        "tips": (
            "**Keep the confirmation.** No confirmation within a few days? Try again, and "
            "consider reporting it to the data protection authority.\n\n"
            "**Repeat it for every account.** Are your Facebook and Instagram accounts not "
            "linked, or do you have more than one? Object for each account, and ask the "
            "people you live with and your family to do it too."
        ),
    },
}

OTHER_ARTICLES = [
    {
        "translation_key": "private-messages",
        "nl": {
            "slug": "berichten-die-prive-blijven",
            "title": "Welke berichten blijven privé?",
            "lead": "Niet alles wat je op sociale media doet is openbaar. Een korte uitleg.",
            "body": """\
Openbare berichten kan iedereen zien, ook mensen zonder account. Berichten die je alleen met
vrienden deelt en privéberichten zijn dat niet. Meta zegt privéberichten niet te gebruiken
voor het trainen van AI.

Toch is voorzichtigheid verstandig. Een bericht dat je met "vrienden" deelt, kan door een
vriend worden doorgestuurd of gefotografeerd. En instellingen veranderen: controleer af en toe
wie je oude berichten kan zien. Op Facebook kun je met **Eerdere berichten beperken** in één
keer al je oude openbare berichten afschermen.
""",
        },
        "en": {
            "slug": "messages-that-stay-private",
            "title": "Which messages stay private?",
            "lead": "Not everything you do on social media is public. A short explanation.",
            "body": """\
Anyone can see public posts, including people without an account. Posts you share with
friends only, and private messages, are not public. Meta says it does not use private
messages to train its AI.

Caution still makes sense. A post you share with "friends" can be forwarded or photographed by
one of them. And settings change: check now and then who can see your old posts. On Facebook,
**Limit past posts** hides all your old public posts in one go.
""",
        },
    },
    {
        "translation_key": "your-privacy-rights",
        "nl": {
            "slug": "jouw-privacyrechten",
            "title": "Jouw privacyrechten in het kort",
            "lead": "De AVG geeft je rechten tegenover elk bedrijf dat je gegevens gebruikt.",
            "body": """\
Onder de Algemene verordening gegevensbescherming (AVG) heb je onder meer recht op **inzage**
(welke gegevens heeft een bedrijf over je?), op **correctie** en **verwijdering**, en op
**bezwaar** tegen verwerking die een bedrijf baseert op zijn eigen gerechtvaardigd belang.

Een bedrijf moet binnen een maand op je verzoek reageren. Krijg je geen of een onvoldoende
antwoord, dan kun je een klacht indienen bij de Autoriteit Persoonsgegevens.
""",
        },
        "en": {
            "slug": "your-privacy-rights",
            "title": "Your privacy rights in short",
            "lead": "The GDPR gives you rights towards every company that uses your data.",
            "body": """\
Under the General Data Protection Regulation (GDPR) you have, among other things, a right of
**access** (what data does a company hold about you?), to **rectification** and **erasure**,
and to **object** to processing that a company bases on its own legitimate interest.

A company has to answer your request within a month. If it does not, or its answer falls
short, you can complain to your national data protection authority.
""",
        },
    },
]
