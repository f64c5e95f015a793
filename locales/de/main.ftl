# Shell
language-name = Deutsch
skip-to-content = Zum Inhalt springen
prefs-language = Sprache
prefs-theme = Farbschema
theme-light = Hell
theme-dark = Dunkel
theme-auto = Automatisch
prefs-tz = Zeitzone
prefs-tz-show = Anzeigen
prefs-tz-first = Vorschläge
prefs-tz-practice = Zeit der Praxis ({ $zone })
tz-region-Africa = Afrika
tz-region-America = Amerika
tz-region-Antarctica = Antarktis
tz-region-Arctic = Arktis
tz-region-Asia = Asien
tz-region-Atlantic = Atlantik
tz-region-Australia = Australien
tz-region-Europe = Europa
tz-region-Indian = Indischer Ozean
tz-region-Pacific = Pazifik
tz-region-Etc = Andere

# Landing page
landing-title = Termin buchen
landing-lead = Wählen Sie eine Leistung und eine passende Zeit. Das dauert etwa eine Minute, ganz ohne Konto.
landing-cta = Jetzt buchen

# Error pages
error-home = Zurück zum Anfang
error-title-400 = Ungültige Anfrage
error-text-400 = Diese Anfrage konnten wir nicht verstehen.
error-title-403 = Nicht erlaubt
error-text-403 = Dieses Formular ist abgelaufen oder stammt nicht von dieser Seite. Bitte gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es erneut.
error-title-404 = Nicht gefunden
error-text-404 = Unter dieser Adresse gibt es nichts.
error-title-409 = Bereits vergeben
error-text-409 = Jemand anderes war schneller. Bitte wählen Sie erneut.
error-title-413 = Zu groß
error-text-413 = Ihre Eingabe ist größer als erlaubt.
error-title-422 = Bitte prüfen Sie Ihre Eingaben
error-text-422 = Einige Angaben sind ungültig.
error-title-429 = Zu viele Versuche
error-text-429 = Bitte warten Sie einen Moment, bevor Sie es erneut versuchen.
error-title-500 = Etwas ist schiefgegangen
error-text-500 = Das hat leider nicht geklappt. Bitte versuchen Sie es gleich noch einmal.

# Dates
date-format = { $weekday }, { $day }. { $month } { $year }
date-format-short = { $weekday }, { $day }. { $month }
datetime-format = { $date }, { $time } { $zone }
time-with-zone = { $time } { $zone }
# Eine Zeit in der Zeitzone der Praxis, dann in der des Besuchers, wenn er eine andere gewählt hat.
time-with-visitor = { $practice } ({ $visitor } Ihre Zeit)
# Time zone abbreviations as chrono-tz writes them (zone-<ABBR>); others are shown as they are.
zone-CET = MEZ
zone-CEST = MESZ
zone-WET = WEZ
zone-WEST = WESZ
zone-EET = OEZ
zone-EEST = OESZ
# Time zones as visitors call them, by IANA id with / and _ as - (tz-<id>); shown after
# "Zeiten in" (so in the dative); a zone without one shows its IANA id.
tz-Europe-Berlin = deutscher Zeit
tz-Europe-Vienna = österreichischer Zeit
tz-Europe-Zurich = Schweizer Zeit
tz-Europe-London = britischer Zeit
weekday-1 = Mo.
weekday-2 = Di.
weekday-3 = Mi.
weekday-4 = Do.
weekday-5 = Fr.
weekday-6 = Sa.
weekday-7 = So.
month-1 = Jan.
month-2 = Feb.
month-3 = März
month-4 = Apr.
month-5 = Mai
month-6 = Juni
month-7 = Juli
month-8 = Aug.
month-9 = Sept.
month-10 = Okt.
month-11 = Nov.
month-12 = Dez.

# Wizard
steps-label = Buchungsschritte
step-of = Schritt { $number } von { $count }
step-service = Leistung
step-practitioner = Behandler/in
step-slot = Termin
step-details = Ihre Angaben
step-verify = E-Mail-Code
step-confirm = Bestätigen
errors-title = Bitte korrigieren Sie Folgendes
wizard-continue = Weiter
wizard-cancel = Neu beginnen
flow-abandoned = Ihre Buchung wurde nicht abgeschlossen, die gewählte Zeit ist wieder frei. Sie können jederzeit neu beginnen.
service-title = Welche Leistung möchten Sie buchen?
service-legend = Leistung
service-duration = { $minutes } Minuten
practitioner-title = Bei wem möchten Sie buchen?
practitioner-legend = Behandler/in
practitioner-any = Egal: der oder die nächste Freie
practitioner-any-hint = Wir teilen Ihnen zu, wer zur gewählten Zeit frei ist.
slot-title = Wählen Sie einen Termin
slot-legend = Freie Termine
slot-zone = Zeiten in { $zone } ({ $abbreviation })
slot-zone-visitor = In Klammern: Ihre Zeit ({ $zone }).
slot-none-day = nichts frei
slot-closed = geschlossen
slot-full = ausgebucht
slot-late = nicht mehr buchbar
slot-day-free = { $count ->
    [one] 1 freier Termin
   *[other] { $count } freie Termine
}
slot-pager = Weitere Tage
slot-earlier = ← Frühere Tage
slot-later = Spätere Tage →
details-title = Ihre Kontaktdaten
details-name = Name
details-email = E-Mail-Adresse
details-phone = Telefon
details-notes = Anmerkungen
details-optional = optional
details-code-hint = Wir schicken Ihnen einen Code, um Ihre Adresse zu bestätigen.
details-website = Dieses Feld bitte leer lassen
verify-title = Prüfen Sie Ihre E-Mails
verify-sent = Wir haben einen Code an { $email } geschickt. Geben Sie ihn unten ein.
verify-code = Code
verify-submit = Bestätigen
verify-resend = Neuen Code senden
verify-change-email = Andere Adresse verwenden
confirm-title = Prüfen und bestätigen
confirm-service = Leistung
confirm-practitioner = Bei
confirm-when = Datum und Uhrzeit
confirm-change = ändern
confirm-change-details = Angaben ändern
summary-title = Ihre Buchung
summary-held = Für Sie reserviert bis { $time }.
confirm-submit = Termin verbindlich buchen
done-title = Ihr Termin ist gebucht
done-reference = Ihre Buchungsnummer:
done-email-to = Wir haben eine Bestätigung mit Kalenderdatei an { $email } geschickt.
booking-title = Ihre Buchung
booking-reference = Buchungsnummer
booking-cancel = Diesen Termin absagen
booking-cancelled = Dieser Termin wurde abgesagt.
cancel-title = Diesen Termin absagen?
cancel-lead = Die Zeit wird für andere frei. Das lässt sich nicht rückgängig machen.
cancel-yes = Ja, absagen
cancel-keep = Nein, behalten
booking-state = Status
booking-state-booked = Gebucht
booking-state-cancelled = Abgesagt
booking-state-past = Vergangen
booking-reschedule = Termin verschieben
booking-frozen = Diese Buchung kann nicht mehr online geändert werden. Bitte wenden Sie sich an die Praxis.
booking-stranded = Diese Person nimmt keine Online-Buchungen mehr an, daher lässt sich die Zeit hier nicht ändern. Absagen können Sie weiterhin; für einen anderen Termin wenden Sie sich bitte an die Praxis.
booking-moved = Ihr Termin wurde verschoben. Wir haben Ihnen die neue Zeit per E-Mail geschickt.
reschedule-title = Neuen Termin wählen
reschedule-now = derzeit gebucht für { $when }
reschedule-submit = Termin verschieben
reschedule-back = Zurück zu Ihrer Buchung
err-reschedule-taken = Dieser Termin wurde gerade vergeben. Bitte wählen Sie einen anderen; Ihre Buchung ist unverändert.

# Validation
err-required = Bitte füllen Sie dieses Feld aus.
err-name-too-long = Bitte höchstens 100 Zeichen.
err-name-invalid = Bitte geben Sie einen Namen ohne Steuerzeichen ein.
err-email-too-long = Bitte höchstens 254 Zeichen.
err-email-invalid = Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de.
err-phone-too-long = Bitte höchstens 32 Zeichen.
err-phone-invalid = Bitte nur Ziffern, Leerzeichen und + - ( ) / . verwenden.
err-notes-too-long = Bitte höchstens 1000 Zeichen.
err-service = Bitte wählen Sie eine der Leistungen.
err-practitioner = Bitte wählen Sie eine der Personen oder „Egal“.
err-slot-invalid = Bitte wählen Sie einen der angezeigten Termine.
err-slot-unavailable = Dieser Termin ist leider nicht verfügbar. Bitte wählen Sie einen anderen.
err-slot-taken = Dieser Termin wurde gerade von jemand anderem gebucht. Bitte wählen Sie einen anderen; Ihre übrigen Angaben bleiben erhalten.
err-code-wrong = Dieser Code stimmt nicht. { $tries ->
    [one] Sie haben noch einen Versuch.
   *[other] Sie haben noch { $tries } Versuche.
}
err-code-exhausted = Zu viele falsche Codes. Bitte fordern Sie einen neuen Code an.
err-code-expired = Dieser Code ist abgelaufen. Bitte fordern Sie einen neuen Code an.
err-code-none = Für diese Adresse gibt es keinen gültigen Code. Bitte fordern Sie einen neuen Code an.
err-cooldown = Bitte warten Sie { $seconds } Sekunden, bevor Sie einen weiteren Code anfordern.
err-max-sends = Sie haben zu viele Codes angefordert. Bitte versuchen Sie es später erneut.
err-mail-failed = Wir konnten die E-Mail gerade nicht senden. Bitte versuchen Sie es gleich noch einmal.
err-address-limit = An diese Adresse wurden heute schon so viele Codes gesendet, wie wir an einem Tag senden. Bitte versuchen Sie es in { $minutes } Minuten erneut.
err-client-limit = Aus Ihrem Netz wurden zu viele Codes angefordert. Bitte versuchen Sie es in { $minutes } Minuten erneut.
err-hold-limit = Sie halten bereits so viele Termine, wie wir gleichzeitig erlauben. Bitte schließen Sie zuerst eine Buchung ab oder brechen Sie sie ab.
err-check-and-send-again = Bitte prüfen Sie Ihre Angaben und senden Sie das Formular erneut.
err-summary-changed = Ihre Buchung wurde inzwischen in einem anderen Fenster oder Tab geändert. Bitte prüfen Sie die jetzt angezeigten Angaben und bestätigen Sie erneut.

# Emails
mail-code-subject = Ihr Code für { $practice }
mail-code-intro = Ihr Code zur Bestätigung Ihrer E-Mail-Adresse:
mail-code-validity = Er ist { $minutes } Minuten gültig.
mail-code-booking = Sie buchen: { $service }, { $when }.
mail-code-ignore = Wenn Sie diesen Code nicht angefordert haben, können Sie diese E-Mail ignorieren.
mail-confirm-subject = Buchung bestätigt: { $reference }
mail-confirm-intro = Ihr Termin ist gebucht.
mail-confirm-reference = Buchungsnummer: { $reference }
mail-confirm-what = { $service }, { $when }
mail-practitioner = Bei: { $practitioner }
mail-confirm-cancel = Buchung ansehen, verschieben oder absagen: { $url }
mail-manage-button = Buchung ansehen, verschieben oder absagen
mail-manage-link = Falls die Schaltfläche nicht funktioniert, öffnen Sie diesen Link:
mail-ics-filename = termin.ics
mail-cancel-subject = Buchung abgesagt: { $reference }
mail-cancel-body = Ihre Buchung { $reference } ({ $service }, { $when }) wurde abgesagt.
mail-reminder-subject = Erinnerung an Ihren Termin ({ $reference })
mail-reminder-intro = Wir erinnern Sie an Ihren Termin:
mail-moved-subject = Buchung verschoben: { $reference }
mail-moved-intro = Ihre Buchung { $reference } wurde auf einen neuen Termin verschoben.
mail-moved-was = Bisher: { $when }

practice-where = Wo
practice-contact = So erreichen Sie die Praxis
practice-phone = Telefon
practice-email = E-Mail
