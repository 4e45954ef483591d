//! Feature names for SNS subjects, which carry printable ASCII only: Latin letters with
//! diacritics are transliterated (`âge` -> `age`, `Straße` -> `Strasse`); a name in another
//! script (`年齢`) has no faithful ASCII form and is counted instead of shown, never emptied.

/// Latin-1 Supplement, U+00C0 to U+00FF; `-` marks a character that is not a letter.
const LATIN_1: &str = "A A A A A A AE C E E E E I I I I D N O O O O O - O U U U U Y TH ss \
                       a a a a a a ae c e e e e i i i i d n o o o o o - o u u u u y th y";
/// Latin Extended-A, U+0100 to U+017F.
const LATIN_EXTENDED_A: &str = "A a A a A a C c C c C c C c D d D d E e E e E e \
                                E e E e G g G g G g G g H h H h I i I i I i I i \
                                I i IJ ij J j K k k L l L l L l L l L l N n N n N \
                                n n NG ng O o O o O o OE oe R r R r R r S s S s S s \
                                S s T t T t T t U u U u U u U u U u U u W w Y y \
                                Y Z z Z z Z z s";

/// The ASCII form of one character, when it has one.
fn letter(c: char) -> Option<&'static str> {
    let (table, first) = match u32::from(c) {
        0xC0..=0xFF => (LATIN_1, 0xC0),
        0x100..=0x17F => (LATIN_EXTENDED_A, 0x100),
        _ => return None,
    };
    let index = usize::try_from(u32::from(c) - first).ok()?;
    table
        .split_whitespace()
        .nth(index)
        .filter(|ascii| *ascii != "-")
}

/// `name` in printable ASCII, or `None` when some character has no faithful ASCII form or
/// nothing readable is left (such a name is counted in the subject, and shown as it is in the
/// body).
pub fn ascii_name(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_graphic() {
            out.push(c);
        } else if c.is_whitespace() || c.is_control() {
            out.push(' ');
        } else {
            out.push_str(letter(c)?);
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    out.chars()
        .any(|c| c.is_ascii_alphanumeric())
        .then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_cover_their_blocks() {
        assert_eq!(LATIN_1.split_whitespace().count(), 64);
        assert_eq!(LATIN_EXTENDED_A.split_whitespace().count(), 128);
        assert_eq!(letter('\u{FF}'), Some("y"));
        assert_eq!(letter('\u{17F}'), Some("s"));
    }

    #[test]
    fn latin_names_are_transliterated() {
        for (name, ascii) in [
            ("âge", "age"),
            ("Straße", "Strasse"),
            ("Ærø_æble", "AEro_aeble"),
            ("łódź", "lodz"),
            ("Čeština", "Cestina"),
            ("œuvre", "oeuvre"),
            ("plain_name", "plain_name"),
            ("two\twords", "two words"),
        ] {
            assert_eq!(ascii_name(name).as_deref(), Some(ascii), "{name}");
        }
    }

    #[test]
    fn other_scripts_and_symbols_have_no_ascii_form() {
        for name in ["年齢", "収入", "âge_年齢", "возраст", "×÷", "  ", "--"] {
            assert_eq!(ascii_name(name), None, "{name}");
        }
    }
}
