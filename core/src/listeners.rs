//! Subscriptions: a registry of subscribers of one kind and the handle that
//! removes one. What listeners hear, and when, is in [`crate::live`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

/// Subscribers of one kind.
pub struct Registry<L: ?Sized> {
    inner: Arc<Mutex<Inner<L>>>,
}

struct Inner<L: ?Sized> {
    next: u64,
    listeners: BTreeMap<u64, Arc<L>>,
}

impl<L: ?Sized + Send + Sync + 'static> Default for Registry<L> {
    fn default() -> Self {
        Registry {
            inner: Arc::new(Mutex::new(Inner {
                next: 0,
                listeners: BTreeMap::new(),
            })),
        }
    }
}

impl<L: ?Sized + Send + Sync + 'static> Registry<L> {
    fn lock(inner: &Mutex<Inner<L>>) -> std::sync::MutexGuard<'_, Inner<L>> {
        inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Register `listener`; the returned handle removes it when dropped.
    pub fn add(&self, listener: Arc<L>) -> Arc<Subscription> {
        let id = {
            let mut inner = Self::lock(&self.inner);
            inner.next += 1;
            let id = inner.next;
            inner.listeners.insert(id, listener);
            id
        };
        let weak: Weak<Mutex<Inner<L>>> = Arc::downgrade(&self.inner);
        Arc::new(Subscription {
            cancel: Mutex::new(Some(Box::new(move || {
                if let Some(inner) = weak.upgrade() {
                    Self::lock(&inner).listeners.remove(&id);
                }
            }))),
        })
    }

    /// A snapshot of the current listeners (empty: nobody to tell).
    pub fn current(&self) -> Vec<Arc<L>> {
        Self::lock(&self.inner)
            .listeners
            .values()
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        Self::lock(&self.inner).listeners.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

type Cancel = Box<dyn FnOnce() + Send>;

/// A live subscription. Dropping it (in Kotlin: `close()`) stops the calls.
#[derive(uniffi::Object)]
pub struct Subscription {
    cancel: Mutex<Option<Cancel>>,
}

#[uniffi::export]
impl Subscription {
    /// Stop receiving calls now. Safe to call more than once.
    pub fn cancel(&self) {
        let f = self.cancel.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(f) = f {
            f();
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_the_handle_unsubscribes() {
        let reg: Registry<u32> = Registry::default();
        let sub = reg.add(Arc::new(1));
        let sub2 = reg.add(Arc::new(2));
        assert_eq!(reg.len(), 2);
        drop(sub);
        assert_eq!(reg.len(), 1);
        sub2.cancel();
        sub2.cancel();
        assert!(reg.is_empty());
    }
}
