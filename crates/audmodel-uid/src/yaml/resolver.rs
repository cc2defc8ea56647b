//! PyYAML's YAML 1.1 scalar resolution (`yaml.Loader`): implicit resolvers
//! for plain scalars and the constructors of the standard tags.

use crate::value::Value;

/// Why a scalar could not be turned into a value.
pub(crate) type Refusal = String;

/// The standard tag a plain scalar resolves to, as PyYAML's implicit resolvers
/// decide (tried in PyYAML's order: bool, float, int, merge, null, timestamp, value).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum Tag {
    Null,
    Bool,
    Int,
    Float,
    Str,
    Timestamp,
    Merge,
    Value,
}

impl Tag {
    /// The tag of an explicit `!!name` (`None` for tags this crate cannot hold).
    pub(crate) fn from_name(name: &str) -> Option<Tag> {
        Some(match name {
            "null" => Tag::Null,
            "bool" => Tag::Bool,
            "int" => Tag::Int,
            "float" => Tag::Float,
            "str" => Tag::Str,
            "timestamp" => Tag::Timestamp,
            _ => return None,
        })
    }
}

/// Resolves a plain scalar's tag.
pub(crate) fn implicit_tag(text: &str) -> Tag {
    if is_bool(text) {
        Tag::Bool
    } else if is_float(text) {
        Tag::Float
    } else if is_int(text) {
        Tag::Int
    } else if text == "<<" {
        Tag::Merge
    } else if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        Tag::Null
    } else if is_timestamp(text) {
        Tag::Timestamp
    } else if text == "=" {
        Tag::Value
    } else {
        Tag::Str
    }
}

fn is_bool(t: &str) -> bool {
    matches!(
        t,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// A tiny cursor for the hand-written versions of PyYAML's regexes.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, f: impl Fn(u8) -> bool) -> bool {
        match self.peek() {
            Some(c) if f(c) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }
    fn eat_while(&mut self, f: impl Fn(u8) -> bool) -> usize {
        let start = self.i;
        while self.eat(&f) {}
        self.i - start
    }
    fn sign(&mut self) {
        self.eat(|c| c == b'+' || c == b'-');
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
    fn rest(&self) -> &[u8] {
        &self.b[self.i..]
    }
}

fn digit_(c: u8) -> bool {
    c.is_ascii_digit() || c == b'_'
}

/// `(?::[0-5]?[0-9])+` followed by the end or what `tail` accepts.
fn sexagesimal_groups(c: &mut Cur<'_>) -> bool {
    let mut groups = 0;
    while c.eat(|x| x == b':') {
        let n = c.eat_while(|x| x.is_ascii_digit());
        // `[0-5]?[0-9]`: one digit, or two with the first at most 5.
        let ok = match n {
            1 => true,
            2 => c.b[c.i - 2] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    groups > 0
}

fn is_float(t: &str) -> bool {
    let exp = |c: &mut Cur<'_>| -> bool {
        // `(?:[eE][-+][0-9]+)?$`
        if c.done() {
            return true;
        }
        c.eat(|x| x == b'e' || x == b'E')
            && c.eat(|x| x == b'+' || x == b'-')
            && c.eat_while(|x| x.is_ascii_digit()) > 0
            && c.done()
    };
    // [-+]?[0-9][0-9_]*\.[0-9_]*(exp)?
    let mut c = Cur {
        b: t.as_bytes(),
        i: 0,
    };
    c.sign();
    if c.eat(|x| x.is_ascii_digit()) {
        c.eat_while(digit_);
        let after_int = c.i;
        if c.eat(|x| x == b'.') {
            c.eat_while(digit_);
            if exp(&mut c) {
                return true;
            }
        }
        // [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        c.i = after_int;
        if sexagesimal_groups(&mut c) && c.eat(|x| x == b'.') {
            c.eat_while(digit_);
            if c.done() {
                return true;
            }
        }
    }
    // \.[0-9][0-9_]*(exp)?
    let mut c = Cur {
        b: t.as_bytes(),
        i: 0,
    };
    if c.eat(|x| x == b'.') && c.eat(|x| x.is_ascii_digit()) {
        c.eat_while(digit_);
        if exp(&mut c) {
            return true;
        }
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(t, ".nan" | ".NaN" | ".NAN")
}

fn is_int(t: &str) -> bool {
    let mut c = Cur {
        b: t.as_bytes(),
        i: 0,
    };
    c.sign();
    let body = c.i;
    let rest = c.rest();
    if let Some(bits) = rest.strip_prefix(b"0b") {
        return !bits.is_empty() && bits.iter().all(|x| matches!(x, b'0' | b'1' | b'_'));
    }
    if let Some(hex) = rest.strip_prefix(b"0x") {
        return !hex.is_empty() && hex.iter().all(|x| x.is_ascii_hexdigit() || *x == b'_');
    }
    if rest == b"0" {
        return true;
    }
    if let Some(oct) = rest.strip_prefix(b"0") {
        return !oct.is_empty() && oct.iter().all(|x| matches!(x, b'0'..=b'7' | b'_'));
    }
    c.i = body;
    if !c.eat(|x| matches!(x, b'1'..=b'9')) {
        return false;
    }
    c.eat_while(digit_);
    c.done() || (sexagesimal_groups(&mut c) && c.done())
}

fn is_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    // `[0-9]{4}-[0-9]{2}-[0-9]{2}`: the date form.
    if b.len() == 10
        && b.iter().enumerate().all(|(i, x)| {
            if i == 4 || i == 7 {
                *x == b'-'
            } else {
                x.is_ascii_digit()
            }
        })
    {
        return true;
    }
    // The long form: YYYY-M?M-D?D(T|[ \t]+)H?H:MM:SS(\.[0-9]*)?([ \t]*(Z|[-+]H?H(:MM)?))?
    let digit = |x: u8| x.is_ascii_digit();
    let blank = |x: u8| x == b' ' || x == b'\t';
    let one_or_two = |c: &mut Cur<'_>| {
        c.eat(digit) && {
            c.eat(digit);
            true
        }
    };
    let two = |c: &mut Cur<'_>| c.eat(digit) && c.eat(digit);
    let mut c = Cur { b, i: 0 };
    let date = two(&mut c)
        && two(&mut c)
        && c.eat(|x| x == b'-')
        && one_or_two(&mut c)
        && c.eat(|x| x == b'-')
        && one_or_two(&mut c);
    if !date {
        return false;
    }
    if !(c.eat(|x| x == b'T' || x == b't') || c.eat_while(blank) > 0) {
        return false;
    }
    if !(one_or_two(&mut c)
        && c.eat(|x| x == b':')
        && two(&mut c)
        && c.eat(|x| x == b':')
        && two(&mut c))
    {
        return false;
    }
    if c.eat(|x| x == b'.') {
        c.eat_while(digit);
    }
    c.eat_while(blank);
    if c.done() {
        return true;
    }
    if c.eat(|x| x == b'Z') {
        return c.done();
    }
    if !(c.eat(|x| x == b'+' || x == b'-') && one_or_two(&mut c)) {
        return false;
    }
    if c.eat(|x| x == b':') && !two(&mut c) {
        return false;
    }
    c.done()
}

/// Builds the value of a scalar with a resolved or explicit tag, as PyYAML's
/// constructors do.
pub(crate) fn construct(tag: Tag, text: &str) -> Result<Value, Refusal> {
    match tag {
        Tag::Str => Ok(Value::Str(text.to_owned())),
        Tag::Null => Ok(Value::Null),
        Tag::Bool => match text.to_lowercase().as_str() {
            "yes" | "true" | "on" => Ok(Value::Bool(true)),
            "no" | "false" | "off" => Ok(Value::Bool(false)),
            _ => Err("not a YAML 1.1 boolean".to_owned()),
        },
        Tag::Int => construct_int(text),
        Tag::Float => construct_float(text),
        Tag::Timestamp => construct_date(text),
        Tag::Merge => Err("merge keys (`<<`) are not supported".to_owned()),
        Tag::Value => Err("PyYAML has no constructor for the value tag `=`".to_owned()),
    }
}

const INT_RANGE: &str = "integers must lie between -9223372036854775808 and 18446744073709551615";

fn construct_int(text: &str) -> Result<Value, Refusal> {
    let cleaned = text.replace('_', "");
    let (neg, body) = match cleaned.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let too_big = || format!("integer out of range: {INT_RANGE}");
    let magnitude: u128 = if body == "0" {
        0
    } else if let Some(bits) = body.strip_prefix("0b") {
        u128::from_str_radix(bits, 2).map_err(|_| too_big())?
    } else if let Some(hex) = body.strip_prefix("0x") {
        u128::from_str_radix(hex, 16).map_err(|_| too_big())?
    } else if body.starts_with('0') {
        u128::from_str_radix(body, 8).map_err(|_| too_big())?
    } else if body.contains(':') {
        let mut value: u128 = 0;
        for part in body.split(':') {
            let digit: u128 = part
                .parse()
                .map_err(|_| format!("not an integer: {text}"))?;
            value = value
                .checked_mul(60)
                .and_then(|v| v.checked_add(digit))
                .ok_or_else(too_big)?;
        }
        value
    } else {
        if body.is_empty() || !body.bytes().all(|x| x.is_ascii_digit()) {
            return Err(format!("not an integer: {text}"));
        }
        body.parse().map_err(|_| too_big())?
    };
    let value = i128::try_from(magnitude).map_err(|_| too_big())?;
    let value = if neg { -value } else { value };
    if value < i128::from(i64::MIN) || value > i128::from(u64::MAX) {
        return Err(too_big());
    }
    Ok(Value::Int(value))
}

fn construct_float(text: &str) -> Result<Value, Refusal> {
    let cleaned = text.replace('_', "").to_lowercase();
    let (sign, body) = match cleaned.strip_prefix('-') {
        Some(b) => (-1.0, b),
        None => (1.0, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let bad = || format!("not a float: {text}");
    let value = if body == ".inf" {
        f64::INFINITY
    } else if body == ".nan" {
        return Ok(Value::Float(f64::NAN));
    } else if body.contains(':') {
        let mut value = 0.0;
        for part in body.split(':') {
            value = value * 60.0 + part.parse::<f64>().map_err(|_| bad())?;
        }
        value
    } else {
        if body.contains(['i', 'n']) {
            return Err(bad());
        }
        body.parse::<f64>().map_err(|_| bad())?
    };
    Ok(Value::Float(sign * value))
}

fn construct_date(text: &str) -> Result<Value, Refusal> {
    let b = text.as_bytes();
    if b.len() == 10 {
        let (y, m, d) = (&text[0..4], &text[5..7], &text[8..10]);
        let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else {
            return Err("not a date".to_owned());
        };
        // Python's `datetime.date` starts at year 1; chrono knows year 0.
        if y < 1 {
            return Err("year 0 is out of range".to_owned());
        }
        return chrono::NaiveDate::from_ymd_opt(y, m, d)
            .map(Value::Date)
            .ok_or_else(|| "day is out of range for month".to_owned());
    }
    Err("timestamps with a time of day (Python datetime) are not supported; quote the value to keep it a string".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_as_pyyaml() {
        for (text, tag) in [
            ("yes", Tag::Bool),
            ("OFF", Tag::Bool),
            ("yEs", Tag::Str),
            ("1e3", Tag::Str),
            ("1.0e3", Tag::Str),
            ("1.0e+3", Tag::Float),
            ("1.", Tag::Float),
            (".5", Tag::Float),
            ("1:20", Tag::Int),
            ("1:20.5", Tag::Float),
            ("1:60", Tag::Str),
            ("0x1F", Tag::Int),
            ("0o17", Tag::Str),
            ("017", Tag::Int),
            ("08", Tag::Str),
            ("1_000", Tag::Int),
            ("-.inf", Tag::Float),
            (".NaN", Tag::Float),
            ("-.nan", Tag::Str),
            ("~", Tag::Null),
            ("", Tag::Null),
            ("2001-12-14", Tag::Timestamp),
            ("2001-12-14 21:59:43.10 -5", Tag::Timestamp),
        ] {
            assert_eq!(implicit_tag(text), tag, "{text}");
        }
    }

    #[test]
    fn constructs_as_pyyaml() {
        assert_eq!(construct(Tag::Int, "1:20"), Ok(Value::Int(80)));
        assert_eq!(construct(Tag::Int, "017"), Ok(Value::Int(15)));
        assert_eq!(construct(Tag::Int, "-0x1_F"), Ok(Value::Int(-31)));
        assert_eq!(
            construct(Tag::Int, "18446744073709551615"),
            Ok(Value::Int(i128::from(u64::MAX)))
        );
        assert!(construct(Tag::Int, "18446744073709551616").is_err());
        assert_eq!(construct(Tag::Float, "1:30.5"), Ok(Value::Float(90.5)));
        assert!(construct(Tag::Timestamp, "2001-02-30").is_err());
    }
}
