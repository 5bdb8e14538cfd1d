//! A message's header fields as a list in wire order, and the few operations the header rules
//! need, written once for both this list and `http`'s `HeaderMap`.
//!
//! Why a list: a head carries about ten fields, and the proxy reads or edits a handful of names
//! in it. A `HeaderMap` hashes every name on insertion and on each lookup and keeps an index
//! beside its entries; measured on the load benchmark (docs/performance.md), building the two
//! heads' maps, looking names up in them and clearing them cost 12,700 instructions a request,
//! more than judging the four `Set-Cookie` lines (10,000). Comparing names along a short list is cheaper (a standard
//! name compares as one byte), and edits happen in place, keeping each line where the sender put
//! it. Requests and responses travel through the proxy as lists; hyper's HTTP/2 side converts at
//! its edge ([`Fields::into_header_map`], `From<HeaderMap>`), and the header rules also accept a
//! `HeaderMap` (the `explain` command and the tests use one).

use http::header::{HeaderMap, HeaderName, HeaderValue};

/// One field: its name (lower case, as `http` keeps it) and its value.
pub type Field = (HeaderName, HeaderValue);

/// What to do with one line of a repeated field (see [`FieldAccess::edit_values`]).
pub enum LineChange {
    Keep,
    Remove,
    Replace(HeaderValue),
}

/// The read and edit operations of the header rules, for a [`Fields`] list and a `HeaderMap`.
/// Names are compared as `HeaderName`s: equal names are equal whatever case they came in.
pub trait FieldAccess {
    /// The values of every field named `name`, in order.
    fn values_of<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a HeaderValue>;

    /// Every field's name, in order (a repeated name may come more than once).
    fn names(&self) -> impl Iterator<Item = &HeaderName>;

    /// Every field, in order.
    fn fields(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)>;

    /// Makes `value` the only value of `name`.
    fn set(&mut self, name: HeaderName, value: HeaderValue);

    /// Adds one more line of `name`, after the others.
    fn add(&mut self, name: HeaderName, value: HeaderValue);

    /// Removes every field named `name`.
    fn remove_all(&mut self, name: &HeaderName);

    /// Calls `change` on every line of `name` in order and applies the answers; returns whether
    /// any line changed. The lines keep their order and are never folded into one (a
    /// `Set-Cookie` line's `Expires` holds a comma).
    fn edit_values(
        &mut self,
        name: &HeaderName,
        change: impl FnMut(&HeaderValue) -> LineChange,
    ) -> bool;

    /// The first value of `name`.
    fn first<'a>(&'a self, name: &'a HeaderName) -> Option<&'a HeaderValue> {
        self.values_of(name).next()
    }

    /// Whether a field named `name` is present.
    fn has(&self, name: &HeaderName) -> bool {
        self.first(name).is_some()
    }
}

/// A message's fields in wire order.
#[derive(Debug, Default, Clone)]
pub struct Fields {
    list: Vec<Field>,
}

impl Fields {
    /// No fields, and no allocation until one is added.
    pub const fn new() -> Fields {
        Fields { list: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every field, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.list.iter().map(|(name, value)| (name, value))
    }

    /// The same fields in a `HeaderMap` (for hyper's HTTP/2).
    pub fn into_header_map(mut self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.list.len());
        for (name, value) in self.list.drain(..) {
            map.append(name, value);
        }
        map
    }

    /// The list itself (for keeping its room).
    pub fn into_list(self) -> Vec<Field> {
        self.list
    }
}

impl From<Vec<Field>> for Fields {
    /// A list's fields (an empty list with room, most often).
    fn from(list: Vec<Field>) -> Fields {
        Fields { list }
    }
}

impl From<HeaderMap> for Fields {
    fn from(map: HeaderMap) -> Fields {
        let mut fields = Fields::from(Vec::with_capacity(map.len()));
        let mut last = None;
        for (name, value) in map {
            // `HeaderMap`'s iterator names only the first value of each name.
            if let Some(name) = name {
                last = Some(name);
            }
            if let Some(name) = &last {
                fields.list.push((name.clone(), value));
            }
        }
        fields
    }
}

impl FromIterator<Field> for Fields {
    fn from_iter<I: IntoIterator<Item = Field>>(iter: I) -> Fields {
        Fields {
            list: iter.into_iter().collect(),
        }
    }
}

impl FieldAccess for Fields {
    fn values_of<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a HeaderValue> {
        self.list
            .iter()
            .filter(move |(field, _)| field == name)
            .map(|(_, value)| value)
    }

    fn names(&self) -> impl Iterator<Item = &HeaderName> {
        self.list.iter().map(|(name, _)| name)
    }

    fn fields(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.iter()
    }

    fn set(&mut self, name: HeaderName, value: HeaderValue) {
        // The first line keeps its place and takes the value; any later ones go. Most names are
        // set once or absent: a plain scan finds that before `retain` walks the list again.
        let Some(at) = self.list.iter().position(|(field, _)| *field == name) else {
            self.list.push((name, value));
            return;
        };
        self.list[at].1 = value;
        if self.list[at + 1..].iter().any(|(field, _)| *field == name) {
            let mut index = 0;
            self.list.retain(|(field, _)| {
                let keep = index <= at || *field != name;
                index += 1;
                keep
            });
        }
    }

    fn add(&mut self, name: HeaderName, value: HeaderValue) {
        self.list.push((name, value));
    }

    fn remove_all(&mut self, name: &HeaderName) {
        if self.list.iter().any(|(field, _)| field == name) {
            self.list.retain(|(field, _)| field != name);
        }
    }

    fn edit_values(
        &mut self,
        name: &HeaderName,
        mut change: impl FnMut(&HeaderValue) -> LineChange,
    ) -> bool {
        // `retain_mut` visits every field once, in order: each line is answered and kept,
        // replaced or dropped in the same pass.
        let mut changed = false;
        self.list.retain_mut(|(field, value)| {
            if field != name {
                return true;
            }
            match change(value) {
                LineChange::Keep => true,
                LineChange::Replace(new) => {
                    *value = new;
                    changed = true;
                    true
                }
                LineChange::Remove => {
                    changed = true;
                    false
                }
            }
        });
        changed
    }
}

impl FieldAccess for HeaderMap {
    fn values_of<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a HeaderValue> {
        self.get_all(name).iter()
    }

    fn names(&self) -> impl Iterator<Item = &HeaderName> {
        self.keys()
    }

    fn fields(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.iter()
    }

    fn set(&mut self, name: HeaderName, value: HeaderValue) {
        self.insert(name, value);
    }

    fn add(&mut self, name: HeaderName, value: HeaderValue) {
        self.append(name, value);
    }

    fn remove_all(&mut self, name: &HeaderName) {
        self.remove(name);
    }

    fn edit_values(
        &mut self,
        name: &HeaderName,
        mut change: impl FnMut(&HeaderValue) -> LineChange,
    ) -> bool {
        // On the stack for a response's usual few lines; nothing is copied until a line changes.
        let mut edited: Option<smallvec::SmallVec<[HeaderValue; 8]>> = None;
        for (i, line) in self.get_all(name).iter().enumerate() {
            let answer = change(line);
            if edited.is_none() && !matches!(answer, LineChange::Keep) {
                edited = Some(self.get_all(name).iter().take(i).cloned().collect());
            }
            if let Some(lines) = edited.as_mut() {
                match answer {
                    LineChange::Keep => lines.push(line.clone()),
                    LineChange::Remove => {}
                    LineChange::Replace(new) => lines.push(new),
                }
            }
        }
        let Some(lines) = edited else {
            return false;
        };
        self.remove(name);
        for line in lines {
            self.append(name.clone(), line);
        }
        true
    }
}

#[cfg(test)]
mod tests;
