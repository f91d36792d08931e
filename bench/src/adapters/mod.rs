//! Adapters putting hrwheel's two engines behind
//! [`TimerQueue`](crate::TimerQueue).

mod hires;
mod wheel;

pub use hires::{HiresAdapter, HiresPeriodic};
pub use wheel::{CoarseWheelAdapter, WheelAdapter};
