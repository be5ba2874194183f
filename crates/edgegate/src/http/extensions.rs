//! What policies learn about a request, by type, for later phases and for
//! handlers: the principal an access policy authenticated, say. A request
//! carries few, so a vector beats a map.

use std::any::{Any, TypeId};

/// Values attached to a request by type, at most one of each.
#[derive(Default)]
pub struct Extensions {
    entries: Vec<(TypeId, Box<dyn Any>)>,
}

impl Extensions {
    /// Stores `value`, replacing any earlier value of its type.
    pub fn insert<T: 'static>(&mut self, value: T) {
        let id = TypeId::of::<T>();
        self.entries.retain(|(t, _)| *t != id);
        self.entries.push((id, Box::new(value)));
    }

    /// The value of type `T`, if one was stored.
    pub fn get<T: 'static>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        self.entries
            .iter()
            .find(|(t, _)| *t == id)
            .and_then(|(_, value)| value.downcast_ref())
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Extensions({} entries)", self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_by_type_and_replaced() {
        let mut extensions = Extensions::default();
        assert_eq!(extensions.get::<u32>(), None);
        extensions.insert(7u32);
        extensions.insert("seven");
        extensions.insert(8u32);
        assert_eq!(extensions.get::<u32>(), Some(&8));
        assert_eq!(extensions.get::<&str>(), Some(&"seven"));
    }
}
