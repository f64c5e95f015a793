# Shell
language-name = English
skip-to-content = Skip to content
prefs-language = Language
prefs-theme = Theme
theme-light = Light
theme-dark = Dark
theme-auto = Auto
prefs-tz = Time zone
prefs-tz-show = Show
prefs-tz-first = Suggested
prefs-tz-practice = Practice time ({ $zone })
tz-region-Africa = Africa
tz-region-America = America
tz-region-Antarctica = Antarctica
tz-region-Arctic = Arctic
tz-region-Asia = Asia
tz-region-Atlantic = Atlantic
tz-region-Australia = Australia
tz-region-Europe = Europe
tz-region-Indian = Indian Ocean
tz-region-Pacific = Pacific
tz-region-Etc = Other

# Landing page
landing-title = Book an appointment
landing-lead = Pick a service and a time that suits you. It takes about a minute, no account needed.
landing-cta = Start booking

# Error pages
error-home = Back to the start
error-title-400 = Bad request
error-text-400 = We could not understand that request.
error-title-403 = Not allowed
error-text-403 = This form has expired or did not come from this site. Please go back, reload the page and try again.
error-title-404 = Not found
error-text-404 = There is nothing at this address.
error-title-409 = Already taken
error-text-409 = Someone else got there first. Please choose again.
error-title-413 = Too large
error-text-413 = What you sent is larger than we accept.
error-title-422 = Please check your input
error-text-422 = Some of what you sent is not valid.
error-title-429 = Too many attempts
error-text-429 = Please wait a moment before trying again.
error-title-500 = Something went wrong
error-text-500 = Sorry, we could not complete this. Please try again in a moment.

# Dates
date-format = { $weekday } { $day } { $month } { $year }
date-format-short = { $weekday } { $day } { $month }
datetime-format = { $date }, { $time } { $zone }
time-with-zone = { $time } { $zone }
# A time in the practice's zone, then the visitor's own when they chose another zone.
time-with-visitor = { $practice } ({ $visitor } your time)
# Time zone abbreviations as chrono-tz writes them (zone-<ABBR>); others are shown as they are.
zone-CET = CET
zone-CEST = CEST
zone-WET = WET
zone-WEST = WEST
zone-EET = EET
zone-EEST = EEST
# Time zones as visitors call them, by IANA id with / and _ as - (tz-<id>); shown after
# "All times are"; a zone without one shows its IANA id.
tz-Europe-Berlin = German time
tz-Europe-Vienna = Austrian time
tz-Europe-Zurich = Swiss time
tz-Europe-London = UK time
weekday-1 = Mon
weekday-2 = Tue
weekday-3 = Wed
weekday-4 = Thu
weekday-5 = Fri
weekday-6 = Sat
weekday-7 = Sun
month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec

# Wizard
steps-label = Booking steps
step-of = Step { $number } of { $count }
step-service = Service
step-practitioner = Practitioner
step-slot = Time
step-details = Your details
step-verify = Email code
step-confirm = Confirm
errors-title = Please correct the following
wizard-continue = Continue
wizard-cancel = Start over
flow-abandoned = Your booking was not made, and the time you chose is free again. You can start over at any time.
service-title = Which service would you like?
service-legend = Service
service-duration = { $minutes } minutes
practitioner-title = With whom would you like to book?
practitioner-legend = Practitioner
practitioner-any = Anyone: the first available
practitioner-any-hint = We assign whoever is free at the time you choose.
slot-title = Choose a time
slot-legend = Available times
slot-zone = All times are { $zone } ({ $abbreviation }).
slot-zone-visitor = In brackets: your time ({ $zone }).
slot-none-day = nothing free
slot-closed = closed
slot-full = fully booked
slot-late = too late to book
slot-day-free = { $count ->
    [one] 1 free time
   *[other] { $count } free times
}
slot-pager = More days
slot-earlier = ← Earlier days
slot-later = Later days →
details-title = Your contact details
details-name = Name
details-email = Email address
details-phone = Phone
details-notes = Notes
details-optional = optional
details-code-hint = We will email you a code to confirm your address.
details-website = Leave this field empty
verify-title = Check your email
verify-sent = We sent a code to { $email }. Enter it below.
verify-code = Code
verify-submit = Verify
verify-resend = Send a new code
verify-change-email = Use another address
confirm-title = Check and confirm
confirm-service = Service
confirm-practitioner = With
confirm-when = Date and time
confirm-change = change
confirm-change-details = Change your details
summary-title = Your booking
summary-held = Held for you until { $time }.
confirm-submit = Book this appointment
done-title = You are booked
done-reference = Your booking reference:
done-email-to = We have sent a confirmation with a calendar file to { $email }.
booking-title = Your booking
booking-reference = Reference
booking-cancel = Cancel this appointment
booking-cancelled = This appointment has been cancelled.
cancel-title = Cancel this appointment?
cancel-lead = The time becomes free for others. You cannot undo this.
cancel-yes = Yes, cancel it
cancel-keep = No, keep it
booking-state = State
booking-state-booked = Booked
booking-state-cancelled = Cancelled
booking-state-past = Past
booking-reschedule = Change the time
booking-frozen = This booking can no longer be changed online. Please contact the practice.
booking-stranded = This practitioner no longer takes bookings online, so the time cannot be changed here. You can still cancel; to find another time, please contact the practice.
booking-moved = Your appointment has moved. We have emailed you the new time.
reschedule-title = Choose a new time
reschedule-now = now booked for { $when }
reschedule-submit = Move my appointment
reschedule-back = Back to your booking
err-reschedule-taken = Sorry, that time was just taken. Please choose another; your booking has not changed.

# Validation
err-required = Please fill in this field.
err-name-too-long = Please use at most 100 characters.
err-name-invalid = Please enter a name without control characters.
err-email-too-long = Please use at most 254 characters.
err-email-invalid = Please enter a valid email address, like name@example.com.
err-phone-too-long = Please use at most 32 characters.
err-phone-invalid = Please use digits, spaces and + - ( ) / . only.
err-notes-too-long = Please use at most 1000 characters.
err-service = Please choose one of the services.
err-practitioner = Please choose one of the practitioners, or anyone.
err-slot-invalid = Please choose one of the times shown.
err-slot-unavailable = Sorry, that time is not available. Please choose another.
err-slot-taken = Sorry, someone booked that time a moment ago. Please choose another time; your other details are kept.
err-code-wrong = That code is not right. { $tries ->
    [one] You have one more try.
   *[other] You have { $tries } more tries.
}
err-code-exhausted = Too many wrong codes. Please ask for a new code.
err-code-expired = That code has expired. Please ask for a new code.
err-code-none = There is no valid code for this address. Please ask for a new code.
err-cooldown = Please wait { $seconds } seconds before asking for another code.
err-max-sends = You have asked for too many codes. Please start again later.
err-mail-failed = We could not send the email just now. Please try again in a moment.
err-address-limit = This address has received as many codes as we send in a day. Please try again in { $minutes } minutes.
err-client-limit = Too many codes were requested from your network. Please try again in { $minutes } minutes.
err-hold-limit = You are already holding as many times as we allow at once. Please finish or cancel a booking first.
err-check-and-send-again = Please check your entries and send the form again.
err-summary-changed = Your booking was changed in another window or tab meanwhile. Please check what is shown now and confirm again.

# Emails
mail-code-subject = Your code for { $practice }
mail-code-intro = Your code to confirm your email address:
mail-code-validity = It is valid for { $minutes } minutes.
mail-code-booking = You are booking: { $service }, { $when }.
mail-code-ignore = If you did not ask for this code, you can ignore this email.
mail-confirm-subject = Booking confirmed: { $reference }
mail-confirm-intro = Your appointment is booked.
mail-confirm-reference = Booking reference: { $reference }
mail-confirm-what = { $service }, { $when }
mail-practitioner = With: { $practitioner }
mail-confirm-cancel = To see, move or cancel your booking, open: { $url }
mail-manage-button = See, move or cancel your booking
mail-manage-link = If the button does not work, open this link:
mail-ics-filename = appointment.ics
mail-cancel-subject = Booking cancelled: { $reference }
mail-cancel-body = Your booking { $reference } ({ $service }, { $when }) has been cancelled.
mail-reminder-subject = Reminder: your appointment ({ $reference })
mail-reminder-intro = A reminder of your appointment:
mail-moved-subject = Booking moved: { $reference }
mail-moved-intro = Your booking { $reference } has moved to a new time.
mail-moved-was = It was: { $when }

practice-where = Where
practice-contact = How to reach the practice
practice-phone = Phone
practice-email = Email
