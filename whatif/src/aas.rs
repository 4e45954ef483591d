//! Application Auto Scaling target tracking on `InvocationsPerInstance`, and the instances it
//! leads to.
//!
//! Documented (Application Auto Scaling and SageMaker guides): target tracking scales out fast
//! and in gradually, only when the metric is well below target; it never scales in on missing
//! data; scale-out and scale-in cooldowns default to 300 s; scheduled actions ignore cooldowns;
//! capacity stays within MinCapacity and MaxCapacity, and a MinCapacity above the current
//! capacity scales out at once. Observed on the CloudWatch alarms target tracking creates (not
//! documented): scale out after 3 of 3 one-minute datapoints above target, scale in after 15 of
//! 15 below 90% of target. The new capacity is ceil(instances x metric / target).

use std::collections::VecDeque;

/// The policy's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tracking {
    /// Target invocations per instance per minute.
    pub target: f64,
    pub out_minutes: u32,
    pub in_minutes: u32,
    /// Scale in only below this share of the target.
    pub in_ratio: f64,
    pub out_cooldown_minutes: u32,
    pub in_cooldown_minutes: u32,
}

/// What target tracking remembers between minutes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackingState {
    above: u32,
    below: u32,
    last_out: Option<usize>,
    last_in: Option<usize>,
}

impl TrackingState {
    /// Observe one minute's metric and decide: the new desired capacity, or `None`. A minute
    /// without requests has no datapoint: both alarms lose their streak.
    pub fn observe(
        &mut self,
        rules: &Tracking,
        minute: usize,
        invocations: f64,
        in_service: u32,
        (desired, min, max): (u32, u32, u32),
    ) -> Option<u32> {
        if invocations <= 0.0 || in_service == 0 {
            self.above = 0;
            self.below = 0;
            return None;
        }
        let metric = invocations / f64::from(in_service);
        if metric > rules.target {
            self.above += 1;
            self.below = 0;
        } else if metric < rules.target * rules.in_ratio {
            self.below += 1;
            self.above = 0;
        } else {
            self.above = 0;
            self.below = 0;
        }
        let since = |t: Option<usize>| t.map_or(usize::MAX, |t| minute.saturating_sub(t));
        let want = ceil(f64::from(in_service) * metric / rules.target).clamp(min, max);
        if self.above >= rules.out_minutes
            && since(self.last_out) >= rules.out_cooldown_minutes as usize
            && want > desired
        {
            self.last_out = Some(minute);
            return Some(want);
        }
        if self.below >= rules.in_minutes
            && since(self.last_in) >= rules.in_cooldown_minutes as usize
            && since(self.last_out) >= rules.out_cooldown_minutes as usize
            && want < desired
        {
            self.last_in = Some(minute);
            return Some(want);
        }
        None
    }
}

fn ceil(x: f64) -> u32 {
    let rounded = (x * 1e9).round() / 1e9;
    rounded.ceil().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// The instances of the variant: in service, and booting until a minute.
#[derive(Debug, Clone, PartialEq)]
pub struct Fleet {
    pub in_service: u32,
    booting: VecDeque<(usize, u32)>,
}

impl Fleet {
    pub fn new(instances: u32) -> Self {
        Fleet {
            in_service: instances,
            booting: VecDeque::new(),
        }
    }

    /// In service plus booting: what is paid for.
    pub fn provisioned(&self) -> u32 {
        self.in_service + self.booting.iter().map(|b| b.1).sum::<u32>()
    }

    /// Instances whose boot is over by the start of `minute` start serving.
    pub fn start_minute(&mut self, minute: usize) {
        while let Some(&(ready, n)) = self.booting.front() {
            if ready > minute {
                break;
            }
            self.in_service += n;
            self.booting.pop_front();
        }
    }

    /// Move to `desired` instances at (the start of) `minute`: new ones boot for
    /// `boot_minutes`; removals cancel booting instances first, newest first.
    pub fn resize(&mut self, minute: usize, desired: u32, boot_minutes: u32) {
        let total = self.provisioned();
        if desired > total {
            self.booting
                .push_back((minute + boot_minutes as usize, desired - total));
            return;
        }
        let mut excess = total - desired;
        while excess > 0 {
            match self.booting.back_mut() {
                Some((_, n)) if *n > excess => {
                    *n -= excess;
                    excess = 0;
                }
                Some((_, n)) => {
                    excess -= *n;
                    self.booting.pop_back();
                }
                None => {
                    self.in_service -= excess.min(self.in_service);
                    excess = 0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Tracking = Tracking {
        target: 100.0,
        out_minutes: 3,
        in_minutes: 15,
        in_ratio: 0.9,
        out_cooldown_minutes: 5,
        in_cooldown_minutes: 5,
    };

    /// Feed `per_instance` for `minutes` minutes at `in_service` instances; the minutes at
    /// which a change was decided, with the new capacity.
    fn run(
        state: &mut TrackingState,
        from: usize,
        minutes: usize,
        per_instance: f64,
        (in_service, min, max): (u32, u32, u32),
    ) -> Vec<(usize, u32)> {
        let mut desired = in_service;
        let mut out = Vec::new();
        for m in from..from + minutes {
            let load = per_instance * f64::from(in_service);
            if let Some(d) = state.observe(&RULES, m, load, in_service, (desired, min, max)) {
                desired = d;
                out.push((m, d));
            }
        }
        out
    }

    #[test]
    fn scales_out_on_the_third_minute_above_target() {
        let mut s = TrackingState::default();
        // 250 per instance on 2 instances: ceil(2 x 250 / 100) = 5, on the third minute.
        assert_eq!(run(&mut s, 0, 3, 250.0, (2, 1, 20)), vec![(2, 5)]);
        let mut s = TrackingState::default();
        assert_eq!(run(&mut s, 0, 2, 250.0, (2, 1, 20)), vec![]);
        // A minute at target breaks the streak.
        let mut s = TrackingState::default();
        run(&mut s, 0, 2, 250.0, (2, 1, 20));
        run(&mut s, 2, 1, 100.0, (2, 1, 20));
        assert_eq!(run(&mut s, 3, 2, 250.0, (2, 1, 20)), vec![]);
    }

    #[test]
    fn scales_in_after_fifteen_minutes_below_ninety_percent() {
        let mut s = TrackingState::default();
        // 40 per instance on 10: ceil(10 x 40 / 100) = 4, on the 15th minute (index 14).
        assert_eq!(run(&mut s, 0, 15, 40.0, (10, 1, 20)), vec![(14, 4)]);
        // 95% of target is not "well below": never in.
        let mut s = TrackingState::default();
        assert_eq!(run(&mut s, 0, 60, 95.0, (10, 1, 20)), vec![]);
        // A minute without requests (missing data) restarts the count.
        let mut s = TrackingState::default();
        run(&mut s, 0, 14, 40.0, (10, 1, 20));
        assert_eq!(s.observe(&RULES, 14, 0.0, 10, (10, 1, 20)), None);
        assert_eq!(run(&mut s, 15, 14, 40.0, (10, 1, 20)), vec![]);
    }

    #[test]
    fn cooldowns_space_out_the_changes() {
        let mut s = TrackingState::default();
        let mut desired = 2;
        let mut changes = Vec::new();
        // Load keeps growing: it would scale out every minute without the cooldown.
        for m in 0..12 {
            let load = 300.0 * (m as f64 + 1.0);
            if let Some(d) = s.observe(&RULES, m, load, 2, (desired, 1, 100)) {
                desired = d;
                changes.push(m);
            }
        }
        assert_eq!(changes, vec![2, 7]);
        // Scale-in waits for the scale-out cooldown too, then for its own.
        let mut s = TrackingState::default();
        assert_eq!(s.observe(&RULES, 0, 0.0, 2, (2, 1, 20)), None);
        s.last_out = Some(22);
        assert_eq!(run(&mut s, 11, 16, 10.0, (10, 1, 20)), vec![]);
        assert_eq!(run(&mut s, 27, 1, 10.0, (10, 1, 20)), vec![(27, 1)]);
        // And after a scale-in, the next one waits for the scale-in cooldown.
        assert_eq!(run(&mut s, 28, 4, 10.0, (10, 1, 20)), vec![]);
        assert_eq!(run(&mut s, 32, 1, 10.0, (10, 1, 20)), vec![(32, 1)]);
    }

    #[test]
    fn never_outside_min_and_max() {
        let mut s = TrackingState::default();
        assert_eq!(run(&mut s, 0, 3, 10_000.0, (2, 1, 6)), vec![(2, 6)]);
        let mut s = TrackingState::default();
        assert_eq!(run(&mut s, 0, 15, 1.0, (10, 3, 20)), vec![(14, 3)]);
        // Already at the bound: no change at all.
        let mut s = TrackingState::default();
        assert_eq!(run(&mut s, 0, 30, 1.0, (3, 3, 20)), vec![]);
    }

    #[test]
    fn instances_serve_after_booting_and_removals_cancel_boots_first() {
        let mut f = Fleet::new(2);
        f.resize(10, 6, 8);
        assert_eq!((f.in_service, f.provisioned()), (2, 6));
        f.start_minute(17);
        assert_eq!(f.in_service, 2);
        f.start_minute(18);
        assert_eq!(f.in_service, 6);
        f.resize(20, 9, 8);
        f.resize(21, 4, 8);
        assert_eq!((f.in_service, f.provisioned()), (4, 4));
    }
}
