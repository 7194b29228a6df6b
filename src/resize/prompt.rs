//! The questions a resize asks: approve a change, walk the findings, finish
//! or roll back an interrupted change, recover, pick a path. [`Terminal`]
//! asks them with dialoguer; tests answer them from a script.

use super::Plan;

/// Which way an interrupted change is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Finish,
    RollBack,
}

/// The answer to "apply, skip or quit?" while walking findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    Apply,
    Skip,
    Quit,
}

pub(crate) trait Prompt {
    /// A yes/no question, No by default. None when the prompt fails (Ctrl-C).
    fn confirm(&self, question: &str) -> Option<bool>;
    /// One finding of a walk; Enter alone skips.
    fn walk(&self, resource_id: &str) -> Walk;
    /// A change was interrupted: finish it or roll it back (the default).
    fn finish_or_roll_back(&self, plan: &Plan) -> Direction;
    /// Recover an interrupted change; None leaves it in the journal.
    fn recover(&self, plan: &Plan, default: Direction) -> Option<Direction>;
    /// Pick one of `labels` (the first is the default); None when cancelled.
    fn choose(&self, question: &str, labels: &[&str]) -> Option<usize>;
}

/// dialoguer on the terminal.
pub(crate) struct Terminal;

impl Prompt for Terminal {
    fn confirm(&self, question: &str) -> Option<bool> {
        confirm(question)
    }

    fn walk(&self, resource_id: &str) -> Walk {
        // Enter alone skips: the highlighted default never applies.
        let answer = dialoguer::Select::new()
            .with_prompt(format!("{resource_id}: apply, skip or quit?"))
            .items(["apply", "skip", "quit"])
            .default(1)
            .interact_opt()
            .ok()
            .flatten();
        match answer {
            Some(0) => Walk::Apply,
            Some(1) => Walk::Skip,
            _ => Walk::Quit,
        }
    }

    fn finish_or_roll_back(&self, plan: &Plan) -> Direction {
        match dialoguer::Select::new()
            .with_prompt(format!(
                "{} was being changed. Finish or roll back?",
                plan.resource_id
            ))
            .items(directions(plan))
            .default(1)
            .interact_opt()
        {
            Ok(Some(0)) => Direction::Finish,
            _ => Direction::RollBack,
        }
    }

    fn recover(&self, plan: &Plan, default: Direction) -> Option<Direction> {
        match dialoguer::Select::new()
            .with_prompt(format!("Recover {}", plan.resource_id))
            .items(directions(plan))
            .default(if default == Direction::Finish { 0 } else { 1 })
            .interact_opt()
        {
            Ok(Some(0)) => Some(Direction::Finish),
            Ok(Some(_)) => Some(Direction::RollBack),
            _ => None,
        }
    }

    fn choose(&self, question: &str, labels: &[&str]) -> Option<usize> {
        dialoguer::Select::new()
            .with_prompt(question)
            .items(labels)
            .default(0)
            .interact_opt()
            .ok()
            .flatten()
    }
}

fn directions(plan: &Plan) -> [String; 2] {
    [
        format!("finish: change it to {}", plan.to),
        format!("roll back: put {} back", plan.from),
    ]
}

/// Ask a yes/no question and wait for Enter: y, yes, n or no in any case;
/// Enter alone is no; anything else asks again. The whole line is read, so
/// nothing typed is left for the shell. None when the prompt fails (Ctrl-C).
fn confirm(prompt: &str) -> Option<bool> {
    let line: String = dialoguer::Input::new()
        .with_prompt(format!("{prompt} [y/N]"))
        .allow_empty(true)
        .validate_with(|s: &String| match answer(s) {
            Some(_) => Ok(()),
            None => Err("type yes or no, then Enter (Enter alone is no)"),
        })
        .interact_text()
        .ok()?;
    answer(&line)
}

/// A confirmation's answer: y/yes is yes; n/no or nothing is no; else None.
pub(crate) fn answer(line: &str) -> Option<bool> {
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Some(true),
        "" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// Answers given in advance, in order, for tests. A question the script
/// did not expect (or one past its end) fails the test.
#[cfg(test)]
pub(crate) struct Scripted {
    answers: std::sync::Mutex<std::collections::VecDeque<Answer>>,
}

/// One scripted answer.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Yes,
    No,
    Walk(Walk),
    Direction(Direction),
}

#[cfg(test)]
impl Scripted {
    pub(crate) fn new(answers: impl IntoIterator<Item = Answer>) -> Scripted {
        Scripted {
            answers: std::sync::Mutex::new(answers.into_iter().collect()),
        }
    }

    fn next(&self, question: &str) -> Answer {
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected question: {question}"))
    }

    /// The answers not asked for.
    pub(crate) fn left(&self) -> usize {
        self.answers.lock().unwrap().len()
    }
}

#[cfg(test)]
impl Prompt for Scripted {
    fn confirm(&self, question: &str) -> Option<bool> {
        match self.next(question) {
            Answer::Yes => Some(true),
            Answer::No => Some(false),
            a => panic!("{question}: scripted {a:?}"),
        }
    }

    fn walk(&self, resource_id: &str) -> Walk {
        match self.next(resource_id) {
            Answer::Walk(w) => w,
            a => panic!("walk {resource_id}: scripted {a:?}"),
        }
    }

    fn finish_or_roll_back(&self, plan: &Plan) -> Direction {
        match self.next("finish or roll back") {
            Answer::Direction(d) => d,
            a => panic!("finish or roll back {}: scripted {a:?}", plan.resource_id),
        }
    }

    fn recover(&self, plan: &Plan, _default: Direction) -> Option<Direction> {
        match self.next("recover") {
            Answer::Direction(d) => Some(d),
            a => panic!("recover {}: scripted {a:?}", plan.resource_id),
        }
    }

    fn choose(&self, question: &str, labels: &[&str]) -> Option<usize> {
        let a = self.next(question);
        panic!("{question}: scripted {a:?}, no answer picks one of {labels:?}")
    }
}
