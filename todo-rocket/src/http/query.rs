//! Query parameters, read by hand: Rocket's `Option<T>` query guards turn a bad or repeated value into "absent",
//! where this API answers 422 naming the parameter. Parameters a route does not read are ignored.

use std::str::FromStr;

use rocket::http::uri::Origin;

use super::error::{ApiError, ApiResult};
use super::problem::FieldProblem;

/// A request's decoded query, and the problems found in it so far, reported together by [`Query::finish`].
pub(crate) struct Query<'a> {
    pairs: Vec<(&'a str, &'a str)>,
    problems: Vec<FieldProblem>,
}

impl<'a> Query<'a> {
    /// The query of `uri`.
    pub(crate) fn of(uri: &'a Origin<'_>) -> Self {
        let pairs = uri.query().into_iter().flat_map(|query| query.segments()).collect();
        Self { pairs, problems: Vec::new() }
    }

    /// The value of `name` when it is given once, `None` when it is absent. Given more than once, it is a problem
    /// ("must be given once") and counts as absent: one rule for every parameter of every route.
    pub(crate) fn single(&mut self, name: &str) -> Option<&'a str> {
        let mut values = self.pairs.iter().filter(|(key, _)| *key == name).map(|(_, value)| *value);
        let first = values.next();
        if values.next().is_none() {
            return first;
        }
        self.problem(name, "must be given once");
        None
    }

    /// `value` (of parameter `name`) parsed; one that does not parse is a problem (`message`) and counts as absent.
    pub(crate) fn parse<T: FromStr>(&mut self, name: &str, value: Option<&str>, message: &str) -> Option<T> {
        match value.map(str::parse).transpose() {
            Ok(value) => value,
            Err(_) => {
                self.problem(name, message);
                None
            }
        }
    }

    /// Notes a problem with parameter `name`.
    fn problem(&mut self, name: &str, message: &str) {
        self.problems.push(FieldProblem { field: name.into(), message: message.into() });
    }

    /// 422 with every problem found, if there is one.
    pub(crate) fn finish(self) -> ApiResult<()> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidQuery(self.problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(uri: &str, read: impl FnOnce(&mut Query<'_>)) -> Vec<(String, String)> {
        let uri = Origin::parse(uri).expect("a URI");
        let mut query = Query::of(&uri);
        read(&mut query);
        match query.finish() {
            Ok(()) => Vec::new(),
            Err(ApiError::InvalidQuery(problems)) => problems.into_iter().map(|p| (p.field, p.message)).collect(),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_parameter_given_once_is_read_and_others_are_ignored() {
        let found = problems("/tasks?limit=5&other=1&other=2", |query| {
            assert_eq!(query.single("limit"), Some("5"));
            assert_eq!(query.single("cursor"), None);
        });
        assert_eq!(found, []);
    }

    #[test]
    fn every_repeated_or_unparsable_parameter_is_reported() {
        let found = problems("/tasks?limit=1&limit=2&completed=maybe", |query| {
            assert_eq!(query.single("limit"), None);
            let completed = query.single("completed");
            assert_eq!(query.parse::<bool>("completed", completed, "must be true or false"), None);
        });
        let expected = [("limit", "must be given once"), ("completed", "must be true or false")];
        assert_eq!(found, expected.map(|(field, message)| (field.to_owned(), message.to_owned())));
    }
}
