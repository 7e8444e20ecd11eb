"""The guardrail's multilingual lexicon: what a prompt may say, by cue and language.

Terms are written plainly (accents allowed); ``canonical`` folds them the way prompts are folded.
Syntax: words separated by spaces match consecutive tokens; a trailing ``*`` matches any word
starting with that stem (``undress*`` → undressed, undressing); ``_`` lets up to three other
words stand between two parts (``remove _ clothes`` → "remove all of her clothes"). Single words of
five letters or more also match with one typo, eight or more with two.

A cue alone decides nothing: ``analysis`` combines them (an undressing verb with a person or a
photo, sexual content with any minor, ...). Terms that are ordinary words in another language
are gated to their language (German ``kind`` is not English "kind").

Languages: en, fr, es, de, it, pt.
"""

from __future__ import annotations

from dataclasses import dataclass

# cue names
UNDRESS = "undress"  # taking someone's clothes off, nudifying (needs nothing else)
UNDRESS_WEAK = "undress_weak"  # strip, ausziehen: also other senses, needs a person or photo
REMOVE = "remove"  # a removal verb (combined with CLOTHING)
CLOTHING = "clothing"  # garments whose removal exposes the body
NUDE = "nude"  # the state: naked, nude, topless
SEXUAL = "sexual"  # sexual acts, explicit body parts, sexual poses and styles
INTIMATE = "intimate"  # underwear, lingerie, see-through
SWIMWEAR = "swimwear"  # bikini, swimsuit
MINOR = "minor"  # a child or teenager
MINOR_EUPHEMISM = "minor_euphemism"  # "barely legal", "petite": minors in a sexual context
PERSON = "person"  # a real, identifiable person: "my ex", "this woman", a celebrity
PRONOUN = "pronoun"  # her, him, elle, ella, sie: someone definite
EDIT = "edit"  # an edit verb: make, put, turn, dress, mets, pon, mach
IMAGE_REF = "image_ref"  # "this photo", "the picture", "the person in the image"
ABUSE = "abuse"  # known abuse material: leaked nudes, revenge porn, a known series
BENIGN_OBJECT = "benign_object"  # what one undresses besides people: a wound, a salad
CONTEXT = "context"  # art history, medicine, education: lowers the weight of a bare pronoun


@dataclass(frozen=True)
class Term:
    """One lexicon entry: its cue, language and written form."""

    cue: str
    lang: str
    text: str
    gated: bool = False  # only when the prompt is in ``lang``


_RAW: dict[str, dict[str, str]] = {
    UNDRESS: {
        "en": "undress* | unclothe* | nudify* | nudifier | nudified | denude | disrobe* "
        "| deepnude | deep nude | declothe* | de clothe | make _ naked | make _ nude "
        "| without _ clothes | without _ clothing | no clothes | with no clothes "
        "| see through _ clothes | x ray _ clothes | xray _ clothes | x ray vision | clothes off "
        "| clothing off | take _ clothes off | take _ clothing off | take _ kit off "
        "| out of _ clothes | nothing on | not wearing anything | wearing nothing "
        "| what s under _ clothes | whats under _ clothes | what is under _ clothes "
        "| nothing underneath | lift* _ skirt | raise* _ skirt | flip* _ skirt | pull* _ skirt up "
        "| pull* _ top down | pull* _ pants down | pull* _ trousers down | pull* _ jeans down "
        "| pull* _ shorts down | pull* _ dress down | no clothes on | no top on | no shirt on "
        "| no dress on | no bra on",
        "fr": "deshabill* | denud* | devet* | foutre _ poil | a poil | sans vetement* "
        "| sans habit* | sans ses habits | rends _ nue | rendre _ nue | mets _ a poil "
        "| tout nu | toute nue | nue integrale | rayons x _ vetements "
        "| il y a sous _ vetement* | il y a sous _ habits | en dessous de _ vetement* "
        "| rien dessous | rien en dessous | souleve* _ jupe | releve* _ jupe | baisse* _ pantalon "
        "| baisse* _ culotte | baisse* _ jean | tomber _ robe | tomber _ jupe | tomber _ haut",
        "es": "desnud* | desvest* | encuer* | sin ropa | sin nada de ropa | quita* _ ropa "
        "| quitar* _ ropa | sacale _ ropa | sacar _ ropa | saca _ ropa | deja* _ desnud* "
        "| en pelotas | en bolas | kita* _ ropa | kitale | hay debajo de _ ropa | nada debajo "
        "| levanta* _ falda | baja* _ pantalones | baja* _ bragas | subele _ falda",
        "de": "entkleid* | nackig | nackt machen | ohne kleidung | ohne klamotten "
        "| ohne kleider | kleider aus | klamotten aus | kleidung aus | ziehe _ aus "
        "| zieh _ kleider _ aus | zieh _ klamotten _ aus | rontgenblick | durchsichtig machen "
        "| nichts drunter | nichts darunter | rock hoch | hose runter | heb* _ rock",
        "it": "spoglia* | svestir* | svesti* | senza vestiti | togli* _ vestiti | nuda integrale",
        "pt": "despir* | dispa | despe* | sem roupa | tira* _ roupa | tirar* _ roupa",
    },
    UNDRESS_WEAK: {
        "en": "strip | stripped | stripping | take off | takeoff | peel off | lose _ top "
        "| get rid of",
        "fr": "enleve* | retire* | ote | oter",
        "es": "quita* | quitale | kitale | saca*",
        "de": "auszieh* | zieh _ aus | zieht _ aus | ausgezogen",
        "it": "togli*",
        "pt": "tira*",
    },
    REMOVE: {
        "en": "remove* | take off | takeoff | took off | taking off | strip* | peel* | erase* "
        "| delete* | rip off | tear off | lose | ditch* | get rid | no more | take away "
        "| unzip* | unbutton* | unhook* | unclasp* | unlace* | undo",
        "fr": "enleve* | enlever | retire* | ote* | supprim* | arrach* | efface* | dezip* "
        "| deboutonn* | degraf*",
        "es": "quita* | sacale | saca* | elimin* | borra* | arranca* | desabroch* | retira* "
        "| desabotona* | bajale",
        "de": "entfern* | auszieh* | zieh | zieht | weg | runter | loschen | aufknopf* | aufmach*",
        "it": "togli* | rimuov*",
        "pt": "remov* | tira*",
    },
    CLOTHING: {
        "en": "clothes | clothing | cloths | outfit | dress | shirt | tshirt | t shirt | top "
        "| blouse | bra | bras | panties | knickers | underwear | pants | trousers | jeans "
        "| skirt | shorts | garments | everything she wears | everything he wears | garb "
        "| attire | everything she is wearing | everything she s wearing | what she is wearing "
        "| everything he is wearing | all her clothes",
        "fr": "vetement* | habits | fringues | robe | chemise | haut | tshirt | soutif "
        "| soutien gorge | culotte | slip | jupe | pantalon | jean | sous vetement*",
        "es": "ropa | vestido | camisa | camiseta | blusa | sujetador | brasier | bragas "
        "| calzones | pantalones | falda | prendas",
        "de": "kleider | kleidung | klamotten | kleid | hemd | oberteil | bluse | bh "
        "| hoschen | unterhose | unterwasche | rock | hose | jeans | shirt",
        "it": "vestiti | abiti | vestito | maglietta | reggiseno | mutandine | gonna",
        "pt": "roupa | roupas | vestido | camisa | sutia | calcinha | saia",
    },
    NUDE: {
        "en": "naked | nude | nudes | nudity | topless | bottomless | unclothed | in the buff "
        "| birthday suit | bare breast* | bare chest* | bare body | fully exposed | no bra "
        "| nip slip | undressed | nekkid | n00d* | nudie* | half naked | no towel | shirtless "
        "| bare chested | nothing but a smile | only a smile | only body paint | body paint only "
        "| without a towel | without towel",
        "fr": "nue | nues | nudite | seins nus | topless | a poil | depoitraill* "
        "| tenue d eve | tenue d adam | a moitie nue | sans serviette | torse nu",
        "es": "desnuda | desnudo | desnudas | desnudos | desnudez | en topless | sin sujetador "
        "| sin toalla | medio desnuda | sin camiseta | en cueros",
        "de": "nackt* | nackig | oben ohne | barbusig | entblosst | freizugig | ohne handtuch "
        "| halbnackt | oberkorperfrei | ohne hemd",
        "it": "nuda | nudo | nude | nudi | nudita | in topless",
        "pt": "nua | nu | nuas | nudez | pelada | pelado",
    },
    SEXUAL: {
        "en": "sex | sexual* | sexy | sexualise* | sexualize* | porn* | pr0n | nsfw "
        "| explicit | erotic* | lewd | hentai | seductive | seductively | provocative* "
        "| sensual* | horny | orgasm* | masturbat* | blowjob | handjob | intercourse | fuck* "
        "| boobs | tits | titties | breasts | nipple* | genital* | pussy | vagina | penis "
        "| dick | cock | butt naked | spread legs | spread her legs | spreading her legs "
        "| legs spread | on all fours | bend over | bent over | twerk* | onlyfans | camgirl "
        "| strip tease | striptease | stripper | lap dance | bdsm | fetish* | bondage "
        "| cum | cumshot | moaning | sultry | kinky | suggestive* | playboy | pinup | pin up "
        "| boudoir | busty | cleavage | wet tshirt | thirst trap | hot pics | s3x | seggs "
        "| booty | ass out | bare ass | naked ass",
        "fr": "sexe | sexuel* | sexy | porno* | erotique* | obscene | cochonne* | coquine* "
        "| excitant* | seins | tetons | nichons | chatte | bite | baise* | orgasme "
        "| masturb* | suce* | pipe | a quatre pattes | ecarte* _ jambes | cambre* "
        "| aguicheuse | lascive | sensuelle | provocante* | decollete | effeuill*",
        "es": "sexo | sexual* | sexy | porno* | erotic* | tetas | pechos | pezones | cono "
        "| polla | follar | follando | cogiendo | coger | mamada | masturb* | orgasmo "
        "| a cuatro patas | piernas abiertas | abre* _ piernas | provocativ* | sensual "
        "| caliente | cachonda | escote",
        "de": "sex | sexuell* | sexy | porno* | erotisch* | titten | bruste | brustwarze* "
        "| muschi | schwanz | ficken | fickt | gefickt | blasen | masturb* | orgasmus "
        "| auf allen vieren | beine gespreizt | spreiz* _ beine | aufreizend* | lasziv* "
        "| verfuhrerisch* | geil | heiss posier* | dekollete",
        "it": "sesso | sessual* | porno* | erotic* | tette | seno | capezzoli | scopare "
        "| pompino | provocante | sensuale",
        "pt": "sexo | sexual* | porno* | erotic* | peitos | mamilos | transar | foder "
        "| boquete | provocante | sensual | gostosa",
    },
    INTIMATE: {
        "en": "lingerie | underwear | panties | thong | gstring | g string | bra and panties "
        "| negligee | see through | seethrough | sheer | transparent | wet clothes "
        "| lacy underwear | corset | garter* | stockings and | skimpy outfit | skimpy clothes "
        "| skimpy dress | skimpy top | scantily | briefs | boxers | boxer shorts | undies | speedo "
        "| barely dressed | half dressed | revealing outfit",
        "fr": "lingerie | sous vetement* | culotte | string | soutien gorge | nuisette "
        "| transparent* | porte jarretelle* | petite tenue | tenue legere | legerement vetue "
        "| calecon",
        "es": "lenceria | ropa interior | bragas | tanga | sujetador | transparente* | ropa mojada "
        "| ligera de ropa | poca ropa",
        "de": "unterwasche | dessous | reizwasche | hoschen | tanga | string | bh "
        "| durchsichtig* | transparent* | strapse | boxershorts | knapp bekleidet "
        "| sparlich bekleidet "
        "| leicht bekleidet",
        "it": "lingerie | biancheria intima | intimo | perizoma | mutandine | trasparente",
        "pt": "lingerie | roupa intima | calcinha | fio dental | transparente",
    },
    SWIMWEAR: {
        "en": "bikini* | swimsuit* | swim suit | bathing suit | swimwear | monokini "
        "| micro bikini | string bikini | one piece swimsuit | two piece",
        "fr": "bikini* | maillot | maillot de bain | deux pieces | monokini",
        "es": "bikini* | biquini* | banador | traje de bano | trikini",
        "de": "bikini* | badeanzug | badeanzugen | badeklamotten | badesachen",
        "it": "bikini* | costume da bagno | costumino",
        "pt": "biquini* | bikini* | maio | fio dental",
    },
    MINOR: {
        "en": "child | children | childs | kid | kids | kiddie | kiddo | minor | minors "
        "| underage* | under age | under 18 | under eighteen | teen | teens | teenage* "
        "| teeny | preteen* | pre teen | tween* | schoolgirl* | school girl | schoolboy* "
        "| school boy | loli | lolis | lolicon | lolita | shota* | toddler* | infant "
        "| baby | little girl | little boy | young girl | young boy | girl child | boy child "
        "| middle school* | middleschool | elementary school | primary school | high school "
        "| highschool | jailbait | daughter | son | stepdaughter | niece | nephew | pupil "
        "| juvenile | adolescent* | pubescent | prepubescent | cp | pedo* | paedo* | barely 18",
        "fr": "enfant* | gamin* | gosse* | fillette* | petite fille | petit garcon | mome "
        "| mineur* | ado | ados | adolescent* | collegien* | lyceen* | ecoliere* | ecolier "
        "| bebe | pre ado | preado | jeune fille | gamine | ma fille | sa fille | nymphette "
        "| eleve | eleves "
        "| pedo*",
        "es": "nino | nina | ninos | ninas | nena | nene | menor | menores | menor de edad "
        "| adolescente* | colegiala* | colegial | chiquilla | chiquillo | cria | bebe "
        "| pequena | pequeno | hija | chavala | escolar | secundaria | prepuber* | pedo*",
        "de": "kind | kinder | kindlich* | madchen | madel | junge | jungen | minderjahrig* "
        "| jugendlich* | teenager | schulerin* | schuler | schulmadchen | baby | kleinkind "
        "| tochter | grundschul* | unter 18 | pubertierend* | madels",
        "it": "bambina | bambino | bambini | ragazzina | ragazzino | minorenne | minore "
        "| adolescente | scolaretta | figlia",
        "pt": "crianca* | menina | menino | menor de idade | adolescente | novinha | garotinha "
        "| filha | colegial",
    },
    MINOR_EUPHEMISM: {
        "en": "petite | barely legal | just turned 18 | just legal | young looking "
        "| looks young | looks younger | childlike | child like | tiny girl | flat chested "
        "| flat chest | innocent looking | young and innocent | smol | little | young | youthful "
        "| girlish | baby face | babyface | small body | tiny body | pigtails",
        "fr": "petite | tout juste majeure | a peine majeure | jeunette | toute jeune "
        "| air enfantin | corps d enfant | jeune",
        "es": "recien cumplidos 18 | apenas legal | jovencita | aspecto infantil | pequenita "
        "| joven",
        "de": "gerade 18 | kaum volljahrig | jung aussehend | kindlich | zierlich | junge frau "
        "| jung",
        "it": "appena maggiorenne | giovanissima",
        "pt": "novinha | acabou de fazer 18",
    },
    PERSON: {
        "en": "my ex | my exgirlfriend | my ex girlfriend | my girlfriend | my gf | my wife "
        "| my classmate | my class mate | classmate | my coworker | my co worker | coworker "
        "| my colleague | my boss | my teacher | my neighbor | my neighbour | my sister "
        "| my cousin | my friend | my crush | my stepsister | my stepmom | my mom | my aunt "
        "| my roommate | my student | this woman | this girl | this lady | this guy | this man "
        "| this person | this chick | this dude | that woman | that girl | that guy "
        "| the woman in | the girl in | the guy in | the man in | the person in | the lady in "
        "| her photo | his photo | her picture | her pic | her selfie | celebrity | celeb "
        "| actress | actor | actors | coworkers | singer | influencer | streamer | youtuber "
        "| politician | real person "
        "| real woman | real girl | taylor swift | emma watson | scarlett johansson "
        "| billie eilish | kim kardashian | selena gomez | ariana grande",
        "fr": "mon ex | ma copine | ma meuf | ma femme | ma collegue | mon collegue | ma voisine "
        "| ma prof | ma camarade | camarade de classe | ma soeur | ma cousine | mon amie "
        "| ma pote | cette femme | cette fille | cette meuf | cette nana | ce mec | ce type "
        "| cet homme | cette personne | la fille de | la femme de | la fille sur | la femme sur "
        "| la meuf sur | celebrite | actrice | chanteuse | chanteur | influenceuse | influenceur "
        "| youtubeur | politicien* | vraie personne",
        "es": "mi ex | mi novia | mi esposa | mi mujer | mi companera | mi compa | mi vecina "
        "| mi profesora | mi profe | mi hermana | mi prima | mi amiga | mi jefa | esta mujer "
        "| esta chica | esta tia | este chico | este tio | este hombre | esta persona "
        "| la chica de | la mujer de | la chica en | la mujer en | famosa | actriz | cantante "
        "| influencer | persona real",
        "de": "meine ex | meine freundin | meine frau | meine kollegin | meine nachbarin "
        "| meine lehrerin | meine schwester | meine cousine | meine mitschulerin "
        "| mitschulerin | meine chefin | meine mitbewohnerin | diese frau | dieses madchen "
        "| diese person | dieser typ | dieser mann | diese tussi | die frau auf | die frau im "
        "| das madchen auf | die person auf | die person im | promi | schauspielerin "
        "| sangerin | schauspieler | echte person",
        "it": "la mia ex | la mia ragazza | mia moglie | la mia collega | mia sorella "
        "| questa donna | questa ragazza | questo ragazzo | attrice | cantante",
        "pt": "minha ex | minha namorada | minha esposa | minha colega | minha irma "
        "| esta mulher | essa mulher | essa menina | esta garota | atriz | cantora",
    },
    PRONOUN: {
        "en": "her | him | she | he | hers | herself | himself",
        "fr": "elle | lui | la mettre | mets la | met la | rends la | deshabille la "
        "| fais la | mettre la | habille la | montre la | la rendre",
        "es": "ella | ponla | ponle | hazla | hazle | vistela | dejala | muestrala "
        "| quitale | sacale | desnudala",
        "de": "sie | ihr | ihn | ihm | er | ihre",
        "it": "lei | lui | mettila | rendila | spogliala",
        "pt": "ela | ele | coloque a | deixe a | deixa ela | poe ela",
    },
    EDIT: {
        "en": "make | put | turn | change | edit | dress | give | replace | swap | photoshop "
        "| modify | show | render her | render him | transform | convert | generate her "
        "| redraw | depict her | changing | edits | editing",
        "fr": "mets | mettre | met | rends | rendre | habille* | transforme* | change* "
        "| modifie* | fais | faire | montre* | mets la | met la | rends la | fais la "
        "| habille la | montre la",
        "es": "pon | poner | ponla | haz | hazla | viste | vestir | cambia* | convierte "
        "| muestra* | edita* | vistela | dejala | muestrala | deja | dejala",
        "de": "zieh | ziehe | mach | mache | verwandle | andere | bearbeite | steck | zeig | zeige "
        "| zeigen",
        "it": "metti | rendi | fai | cambia | mostra | mettila | rendila",
        "pt": "coloque | ponha | deixe | deixa | faca | mude | mostre | deixa ela | coloque a",
    },
    IMAGE_REF: {
        "en": "this photo | this picture | this pic | this image | this selfie | this snap "
        "| the photo | the picture | the image | the pic | the selfie | uploaded | attached "
        "| in the photo | in this photo | in the image | in the picture | from the photo "
        "| my photo | her photo | her picture | photo of her | pic of her | picture of her",
        "fr": "cette photo | cette image | ce selfie | la photo | l image | sur la photo "
        "| sur cette photo | dans la photo | ci jointe | photo d elle",
        "es": "esta foto | esta imagen | este selfie | la foto | la imagen | en la foto "
        "| de la foto | adjunta | foto de ella",
        "de": "dieses foto | dieses bild | das foto | das bild | auf dem foto | auf dem bild "
        "| im bild | im foto | hochgeladen | foto von ihr | bild von ihr",
        "it": "questa foto | questa immagine | la foto | nella foto",
        "pt": "esta foto | essa foto | esta imagem | na foto",
    },
    ABUSE: {
        "en": "leaked nudes | leaked nude* | leaked sex tape | leaked sextape | nude leak* "
        "| nudes leak* | revenge porn | sextape of | sex tape of | the fappening | fappening "
        "| onlyfans leak* | hidden camera | hidden cam | upskirt* | downblouse | spycam "
        "| voyeur* | creepshot* | recreate _ abuse | recreate _ video | recreate _ series "
        "| cp video | csam | child porn* | pthc",
        "fr": "nudes volees | nudes leak* | photos volees | fuite* _ nude* | revenge porn "
        "| sextape de | camera cachee | pedopornograph*",
        "es": "fotos filtradas | desnudos filtrados | video filtrado | porno vengativo "
        "| camara oculta | pornografia infantil",
        "de": "geleakte nacktbilder | geleakte nudes | nacktbilder geleakt | rachepornos "
        "| racheporno | versteckte kamera | kinderporno*",
        "it": "foto rubate | nudi rubati | revenge porn | pedopornografia",
        "pt": "nudes vazados | fotos vazadas | pornografia infantil",
    },
    BENIGN_OBJECT: {
        "en": "salad | wound | bandage | dressing | bed | window | tree | doll | mannequin "
        "| chicken | turkey | cake | sandwich | wall | paint | car | furniture | background "
        "| hat | glasses | sunglasses | mask | coat | jacket | scarf | gloves | shoes | watch "
        "| earrings | necklace | logo | watermark | text | tattoo | stain | stains | spot "
        "| spots | blemish* | pimple* | acne | wrinkle* | crease* | scratch* | dust | lint "
        "| hair | fur | print | caption | sticker | label | tag | shadow* | reflection | glare "
        "| red eye | crowd | photobomber | lamp | pole | sign | trash "
        "| hanger | hangers | washing line | clothesline | clothes line | rack | closet "
        "| wardrobe | suitcase | floor | chair | shelf",
        "fr": "salade | plaie | pansement | lit | fenetre | arbre | poupee | fond | chapeau "
        "| lunettes | masque | manteau | veste | echarpe | gants | chaussures | montre "
        "| logo | texte | tache* | bouton* | ride* | rayure* | poussiere | filigrane "
        "| ariere plan | decor | ombre* | reflet* | cintre* | etendoir | placard "
        "| valise | sol | chaise | etagere | poils | cheveux | inscription | etiquette",
        "es": "ensalada | herida | vendaje | cama | ventana | arbol | muneca | fondo "
        "| sombrero | gafas | lentes | mascara | abrigo | chaqueta | bufanda | guantes "
        "| zapatos | reloj | logo | texto | mancha* | grano* | arruga* | rayon* | polvo "
        "| marca de agua | sombra* | reflejo* | percha* | tendedero "
        "| armario | maleta | suelo | silla | pelo | etiqueta",
        "de": "salat | wunde | verband | bett | fenster | baum | puppe | hintergrund | hut "
        "| brille | sonnenbrille | maske | mantel | jacke | schal | handschuhe | schuhe "
        "| uhr | logo | text | fleck* | pickel | falte* | kratzer | staub | wasserzeichen "
        "| schatten | spiegelung | kleiderbugel | wascheleine | schrank "
        "| koffer | boden | stuhl | haare | etikett | aufdruck",
        "it": "insalata | ferita | sfondo | cappello | occhiali | giacca",
        "pt": "salada | ferida | fundo | chapeu | oculos | casaco",
    },
    CONTEXT: {
        "en": "painting | sculpture | statue | renaissance | art history | museum | anatomy "
        "| anatomical | medical | doctor | dermatology | breastfeeding | mammogram "
        "| biology | classical art | venus | david | botticelli | michelangelo | manet "
        "| goya | rubens | life drawing | figure drawing",
        "fr": "peinture | sculpture | statue | histoire de l art | musee | anatomie | medical "
        "| medecin | allaitement",
        "es": "pintura | escultura | estatua | historia del arte | museo | anatomia | medico "
        "| lactancia",
        "de": "gemalde | malerei | skulptur | statue | kunstgeschichte | museum | anatomie "
        "| medizinisch | arzt | stillen",
        "it": "dipinto | scultura | statua | storia dell arte | museo | anatomia",
        "pt": "pintura | escultura | estatua | historia da arte | museu | anatomia",
    },
}

# ordinary words of another language: matched only when the prompt is in the term's language
GATED: dict[str, set[str]] = {
    "de": {"kind", "kinder", "junge", "jungen", "sie", "ihr", "er", "ihre", "hose", "rock",
           "weg", "runter", "ohne", "zieh", "mach", "andere", "string", "bh", "jung", "geil",
           "baby", "tochter", "schuler", "ihn", "ihm", "trag", "hut", "uhr", "bett", "text",
           "logo", "shirt", "jeans", "tanga", "sex", "sexy", "arzt", "statue", "museum",
           "hemd"},
    "fr": {"ado", "ados", "lui", "elle", "haut", "robe", "jean", "slip", "pipe", "bite",
           "fais", "met", "mets", "porte", "rends", "ote", "sans", "lit", "fond", "montre",
           "string", "bebe", "mome", "jeune", "petite", "texte", "logo", "statue"},
    "es": {"nina", "nino", "nena", "nene", "el", "ella", "menor", "cria", "hija", "pon",
           "haz", "viste", "cono", "sin", "caliente", "pequena", "pequeno", "joven", "bebe",
           "escolar", "fondo", "cama", "reloj", "texto", "logo", "lleve", "famosa"},
    "it": {"lei", "lui", "nuda", "nudo", "nude", "nudi", "seno", "minore", "fai", "metti",
           "mostra", "cambia", "rendi", "intimo", "senza", "abiti", "gonna"},
    "pt": {"nu", "nua", "ela", "ele", "filha", "sem", "maio", "menina", "menino", "roupa",
           "deixa", "deixe", "faca", "mude", "saia", "fundo"},
    "en": {"son", "he", "dress", "top", "pants", "little", "young", "cp", "baby", "lose",
           "lost", "without", "put", "make", "turn", "change", "give", "show", "wear",
           "wearing", "sheer", "transparent", "explicit", "tiny", "doctor"},
}  # fmt: skip


def terms() -> list[Term]:
    """Every lexicon entry, with its gating."""
    out: list[Term] = []
    for cue, by_lang in _RAW.items():
        for lang, spec in by_lang.items():
            for raw in spec.split("|"):
                text = " ".join(raw.split())
                if text:
                    gated = " " not in text and text in GATED.get(lang, set())
                    out.append(Term(cue, lang, text, gated))
    return out
