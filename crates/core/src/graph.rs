//! The format graph: formats and value kinds are nodes; decoders, adapters and
//! encoders are edges. Paths are chosen by Dijkstra on a lexicographic cost:
//! fewest lossy steps, then least summed cost, then names, so the choice is
//! deterministic whatever the registration order.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;

use crate::{Adapter, Decoder, Encoder, OptionSpec, Registry, Transform, ValueKind};

/// One edge of a conversion path.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    Decode(&'static Decoder),
    Adapt(&'static Adapter),
    Encode(&'static Encoder),
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Decode(d) => d.name,
            Step::Adapt(a) => a.name,
            Step::Encode(e) => e.name,
        }
    }

    pub fn cost(&self) -> u32 {
        match self {
            Step::Decode(d) => d.cost,
            Step::Adapt(a) => a.cost,
            Step::Encode(e) => e.cost,
        }
    }

    pub fn lossy(&self) -> bool {
        match self {
            Step::Decode(_) => false,
            Step::Adapt(a) => a.lossy,
            Step::Encode(e) => e.lossy,
        }
    }

    pub fn options(&self) -> &'static [OptionSpec] {
        match self {
            Step::Decode(d) => d.options,
            Step::Adapt(a) => a.options,
            Step::Encode(e) => e.options,
        }
    }

    fn target(&self) -> Node {
        match self {
            Step::Decode(d) => Node::Kind(d.output),
            Step::Adapt(a) => Node::Kind(a.to),
            Step::Encode(e) => Node::Format(e.format),
        }
    }
}

/// The chain of steps that turns one format into another.
#[derive(Clone, Debug)]
pub struct ConversionPath {
    pub from: &'static str,
    pub to: &'static str,
    pub steps: Vec<Step>,
    /// Transforms applied before each encode step (their options are valid here).
    pub transforms: Vec<&'static Transform>,
}

impl ConversionPath {
    pub fn lossy_steps(&self) -> u32 {
        self.steps.iter().filter(|s| s.lossy()).count() as u32
    }

    pub fn cost(&self) -> u64 {
        self.steps.iter().map(|s| u64::from(s.cost())).sum()
    }

    /// Every option this conversion accepts, sorted by name, each once.
    pub fn options(&self) -> Vec<&'static OptionSpec> {
        let mut all: Vec<&'static OptionSpec> = self
            .steps
            .iter()
            .flat_map(|s| s.options().iter())
            .chain(self.transforms.iter().flat_map(|t| t.options.iter()))
            .chain([&crate::engine::STRICT])
            .collect();
        all.sort_by_key(|o| o.name);
        all.dedup_by_key(|o| o.name);
        all
    }
}

impl fmt::Display for ConversionPath {
    /// `png --image--> raster --turbojpeg--> jpg`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.from)?;
        for step in &self.steps {
            write!(f, " --{}--> {}", step.name(), step.target())?;
        }
        Ok(())
    }
}

/// A reachable source-target pair, as listed by `fileconv formats`.
#[derive(Clone, Debug)]
pub struct Conversion {
    pub from: &'static str,
    pub to: &'static str,
    pub path: ConversionPath,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Format(&'static str),
    Kind(ValueKind),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Format(id) => f.write_str(id),
            Node::Kind(k) => f.write_str(k.name()),
        }
    }
}

/// (lossy steps, summed cost, step names): smaller is better.
type Label = (u32, u64, Vec<&'static str>);

fn edges_from(registry: &Registry, node: Node) -> Vec<Step> {
    match node {
        Node::Format(id) => registry.decoders.iter().filter(|d| d.format == id).map(|d| Step::Decode(d)).collect(),
        Node::Kind(kind) => registry
            .adapters
            .iter()
            .filter(|a| a.from == kind)
            .map(|a| Step::Adapt(a))
            .chain(registry.encoders.iter().filter(|e| e.input == kind).map(|e| Step::Encode(e)))
            .collect(),
    }
}

/// Best path from `from` to every format reachable in one or more steps.
pub(crate) fn shortest_paths(registry: &Registry, from: &'static str) -> BTreeMap<&'static str, ConversionPath> {
    let mut best: BTreeMap<Node, (Label, Vec<Step>)> = BTreeMap::new();
    let mut heap: BinaryHeap<Reverse<(Label, Node)>> = BinaryHeap::new();
    let mut settled: Vec<(Node, Vec<Step>)> = Vec::new();

    let relax = |label: Label, steps: Vec<Step>, heap: &mut BinaryHeap<Reverse<(Label, Node)>>,
                 best: &mut BTreeMap<Node, (Label, Vec<Step>)>| {
        let node = steps.last().map(Step::target).expect("a path has at least one step");
        if best.get(&node).is_none_or(|(old, _)| label < *old) {
            best.insert(node, (label.clone(), steps));
            heap.push(Reverse((label, node)));
        }
    };

    for step in edges_from(registry, Node::Format(from)) {
        let label = (u32::from(step.lossy()), u64::from(step.cost()), vec![step.name()]);
        relax(label, vec![step], &mut heap, &mut best);
    }
    while let Some(Reverse((label, node))) = heap.pop() {
        let (current, steps) = best[&node].clone();
        if current != label {
            continue;
        }
        for step in edges_from(registry, node) {
            if !continues(&steps, &step) {
                continue;
            }
            let mut names = label.2.clone();
            names.push(step.name());
            let next = (label.0 + u32::from(step.lossy()), label.1 + u64::from(step.cost()), names);
            let mut chain = steps.clone();
            chain.push(step);
            relax(next, chain, &mut heap, &mut best);
        }
        settled.push((node, steps));
    }

    settled
        .into_iter()
        .filter_map(|(node, steps)| match node {
            Node::Format(to) => Some((to, steps)),
            Node::Kind(_) => None,
        })
        .map(|(to, steps)| {
            let transforms = transforms_for(registry, &steps);
            (to, ConversionPath { from, to, steps, transforms })
        })
        .collect()
}

/// Whether `next` may follow `steps`. Through an intermediate file the value
/// must come back as the kind it went in as: an image written as a video file
/// comes back as media, whose audio track was never there (PNG to MP3
/// through a silent MP4 is not a conversion).
fn continues(steps: &[Step], next: &Step) -> bool {
    match (steps.last(), next) {
        (Some(Step::Encode(e)), Step::Decode(d)) => d.output == e.input,
        _ => true,
    }
}

fn transforms_for(registry: &Registry, steps: &[Step]) -> Vec<&'static Transform> {
    let kinds: Vec<ValueKind> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Encode(e) => Some(e.input),
            _ => None,
        })
        .collect();
    registry.transforms.iter().copied().filter(|t| kinds.contains(&t.kind)).collect()
}
