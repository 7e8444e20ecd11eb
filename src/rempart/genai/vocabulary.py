"""Ordinary words that sit one or two typos from a lexicon word, so are never read as typos.

"parents" is not a misspelt "garments", "present" not "preteen", "morning" not "moaning",
"understand" not "undress", "nacht" not "nackt", "nice" not "niece". The list was built from
the project's own ordinary text (the text-policy data in four languages and the
documentation): every word there that the fuzzy matcher would otherwise have read as a lexicon
word. A word written correctly in ordinary text is a word, not an obfuscation; an
obfuscated lexicon word ("nakid", "undresss") is not in it. Words are in canonical form
(folded, repeated letters squeezed).
"""

from __future__ import annotations

from rempart.genai.normalize import canonical_set

ORDINARY = canonical_set(
    "actes actores actors adresed afaire aire apache apartement arbres archduke archers architect "
    "architecture archive archives archiviert archivos atacked autres autrice baden bailen balade "
    "banale base basebalschlager basement bases batch beasts beste bile bisexuals biten blue "
    "bosen botles bound brise briser brouse brule brute cabian cabrones cambio cantine capulo "
    "catch cele celebrate centre centres chain chambre chambres chance chances chanel changing "
    "chanted chanter chanteur chaque charge charged charger charges chargeur chase chat chateau "
    "chaten chats checken childline choir cities clair clases close closed cogner colege coleges "
    "colegio colegios colis colonial comer concert concierto conocerte contacte contente contre "
    "contredisent contredit contredites corer cover coworkers crase crash create created crowds "
    "crown cuelo culte culture danger dangers decir denis denuncia denunciado denunciando "
    "denunciarlo denuncio depend dependencies depending depends deplace descend descendant "
    "descends descente desdemona deseadme desechable desert deserve deserved deserves desespoir "
    "despidan despiojar despues desus development devenu dich dinger dinguerie disous dispo doner "
    "dutch ecrase ecraser editing edition editor edits election eleve eleves encanta encanto "
    "encerados encerarlos encuentro endlich enfance enquete etriper exagere existantes facteur "
    "fair fairy faite faites fakten faktencheck falen falsa false falta faltan famine faster "
    "faute fauteuil filtering filters fire flaterie flingue foire folder folter found gaining "
    "ganas garder garderai gare garment garten gasing gasings gearbeitet gemini genial glace "
    "glane grados granada grand grandis grandma grandmother grandpa grandparents grands grandson "
    "grile habla hable hablemos hache hager hanged hangen hapening helado hunger influenceur "
    "inscripcion inscriptions joder jugendschutz kindisch klein labels lache langer lasen "
    "laughter letre licence licences loaded loves machacar macht madels maire malade manches "
    "manchester manequins maner manger manschaft marche marchen marque marteau mase match mathe "
    "meaning means medecine mere mete meter metro minecraft miners miror mirors moche monstres "
    "monte morning moschen mosque musen museos muses museums nacht nachtraglich nachts nadie "
    "naisance neige nice niecei notifier paie pain parents pavement peches peindre pendre pener "
    "peste photoshot pinky place plage plaide plain plais plait plane planting plate plie poder "
    "poids point poker politica political politicien polo pols pone ponen pope poser pouce power "
    "prado prendan prendo prendre prends prenent presence present presentadora presentait "
    "presentation presentationi presente presentes prete preter prevention prevenu prevenus "
    "prints promis pronote pronoun provocation puedo purchase purifier quitent quites rabits "
    "rache racket racontait raconte racontent raconter racontes ratonera rayos recolte recovered "
    "reflechir reflechis reflechisez reflected reflects reisen rentre replaces reste retirar "
    "retiro retried retries round runde sache saint sala salades salid salida salut satire scale "
    "schalt schamen scharf schauspieler schicken schule schulen scripted scripts sein seing seis "
    "selection self sens shal shit shoah shoahbusines short shotgun shotguns shoting shotings "
    "shows sieht signer singe singes skins slaughter sobran sound spoils stab stairs stalin state "
    "status stau stech stick stickers stock strase stream streamed strict stricts strike striker "
    "strikes stuck sugestions supreme supremo taire teachers tenis tentes teste texas thing toler "
    "tolerance toner toten transfer transfers transfert transparence transparency transport "
    "transporte tras trouver trouves turken understand understands unterlagen upload uploads "
    "valide vaste vendre vends vente venu venue venues verte vestida vitale volar voleurs vrile "
    "vuelo waiting wants watermarks widerlich windows woden would wurde youtube youtubeur zeigen "
    "zeigt ziehen ziemlich "
)
