using Engine.State.Clock;

namespace Engine.Documents;

/// <summary>
/// What one replica of a room document knows about the others, to decide when a tombstone may be
/// dropped: the instances it has heard from lately (its participants), the "seen" vector each last
/// reported, and its own seen vector — for each participant, the send time of the latest full state
/// from it that this replica merged. Merging a state sent at time t means holding everything the
/// sender held at t, so the horizon (the least seen time over every ordered pair of participants,
/// this replica included) is a time before which every participant has every other's state.
/// </summary>
/// <remarks>
/// Not thread-safe: the document's lock guards it, like the document. Time is monotonic time passed
/// in by the caller. Bounded to <see cref="MaxParticipants"/>: a new instance beyond that is not
/// tracked, and withholds the horizon until one entry expires (it might hold anything).
/// </remarks>
internal sealed class PruningHorizon
{
    /// <summary>Most instances tracked per document, and most entries accepted in a reported vector.</summary>
    public const int MaxParticipants = 64;

    /// <summary>Longest instance id accepted in a reported vector.</summary>
    public const int MaxInstanceIdLength = 128;

    private readonly Dictionary<string, HlcTimestamp> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Participant> _participants = new(StringComparer.Ordinal);
    private TimeSpan? _untrackedAt;

    /// <summary>Participants heard from within the last peer timeout (as of the last <see cref="Expire"/>).</summary>
    public int ParticipantCount => _participants.Count;

    /// <summary>
    /// Another instance sent something for this document (any valid message): it is a participant,
    /// and until it reports a vector there is no horizon.
    /// </summary>
    public void Heard(string instance, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (_participants.TryGetValue(instance, out Participant? participant))
        {
            participant.LastHeard = now;
            return;
        }

        if (_participants.Count >= MaxParticipants)
        {
            _untrackedAt = now;
            return;
        }

        _participants.Add(instance, new Participant { LastHeard = now });
    }

    /// <summary>
    /// True when some participant live at <paramref name="now"/> may still hold entries (its last state had some, or it has
    /// sent none yet): it may be waiting for this replica's report to prune, so an empty replica
    /// keeps sending its state while this holds.
    /// </summary>
    public bool AnyParticipantHoldsEntries(TimeSpan now, TimeSpan peerTimeout)
    {
        Expire(now, peerTimeout);
        return _participants.Values.Any(p => p.HoldsEntries);
    }

    /// <summary>
    /// This replica merged <paramref name="instance"/>'s full state, built at its time
    /// <paramref name="sentAt"/>, which reported <paramref name="seen"/> (null when the sender
    /// reports none: an older version, which then withholds the horizon while it participates)
    /// and held entries or not (<paramref name="holdsEntries"/>).
    /// </summary>
    public void MergedState(string instance, HlcTimestamp sentAt, IReadOnlyDictionary<string, HlcTimestamp>? seen, bool holdsEntries, TimeSpan now)
    {
        Heard(instance, now);
        if (!_participants.TryGetValue(instance, out Participant? participant))
        {
            return; // not tracked (the table is full)
        }

        if (sentAt != HlcTimestamp.Zero && (!_seen.TryGetValue(instance, out HlcTimestamp before) || sentAt > before))
        {
            _seen[instance] = sentAt;
        }

        participant.Reported = seen is null ? null : new Dictionary<string, HlcTimestamp>(seen, StringComparer.Ordinal);
        participant.HoldsEntries = holdsEntries;
    }

    /// <summary>Forgets participants not heard from for longer than <paramref name="peerTimeout"/>.</summary>
    public void Expire(TimeSpan now, TimeSpan peerTimeout)
    {
        List<string>? gone = null;
        foreach ((string instance, Participant participant) in _participants)
        {
            if (now - participant.LastHeard > peerTimeout)
            {
                (gone ??= []).Add(instance);
            }
        }

        foreach (string instance in gone ?? [])
        {
            _participants.Remove(instance);
            _seen.Remove(instance);
        }

        if (_untrackedAt is { } at && now - at > peerTimeout)
        {
            _untrackedAt = null;
        }
    }

    /// <summary>This replica's seen vector, as it reports it in its states: live participants only.</summary>
    public Dictionary<string, HlcTimestamp> Report(TimeSpan now, TimeSpan peerTimeout)
    {
        Expire(now, peerTimeout);
        return new Dictionary<string, HlcTimestamp>(_seen, StringComparer.Ordinal);
    }

    /// <summary>
    /// The horizon as of <paramref name="now"/>: with no live participant, <paramref name="alone"/>;
    /// otherwise the least seen time over every ordered pair (i, j), i ≠ j, of the live participants
    /// and this replica (<paramref name="self"/>), or null when a pair is missing, when a participant
    /// reports an instance this replica does not count as live (their views of who takes part differ
    /// — wait for them to agree), or when an instance went untracked within the timeout.
    /// </summary>
    public HlcTimestamp? Compute(string self, TimeSpan now, TimeSpan peerTimeout, HlcTimestamp alone)
    {
        ArgumentNullException.ThrowIfNull(self);
        Expire(now, peerTimeout);
        if (_untrackedAt is not null)
        {
            return null;
        }

        if (_participants.Count == 0)
        {
            return alone;
        }

        HlcTimestamp least = new(ulong.MaxValue, uint.MaxValue);
        foreach (string peer in _participants.Keys)
        {
            if (!_seen.TryGetValue(peer, out HlcTimestamp mine))
            {
                return null;
            }

            least = Min(least, mine);
        }

        foreach ((string instance, Participant participant) in _participants)
        {
            if (participant.Reported is not { } reported || !reported.TryGetValue(self, out HlcTimestamp ofSelf))
            {
                return null;
            }

            least = Min(least, ofSelf);
            foreach (string other in _participants.Keys)
            {
                if (other == instance)
                {
                    continue;
                }

                if (!reported.TryGetValue(other, out HlcTimestamp seen))
                {
                    return null;
                }

                least = Min(least, seen);
            }

            foreach (string named in reported.Keys)
            {
                if (named != self && named != instance && !_participants.ContainsKey(named))
                {
                    return null;
                }
            }
        }

        return least;
    }

    /// <summary>Why a reported vector must be refused, or null when it is acceptable.</summary>
    public static string? Check(IReadOnlyDictionary<string, HlcTimestamp> seen)
    {
        if (seen.Count > MaxParticipants)
        {
            return $"a seen vector of {seen.Count} entries, over the limit of {MaxParticipants}";
        }

        foreach ((string instance, HlcTimestamp time) in seen)
        {
            if (string.IsNullOrEmpty(instance) || instance.Length > MaxInstanceIdLength)
            {
                return "an instance id in the seen vector is empty or too long";
            }

            if (time == HlcTimestamp.Zero)
            {
                return "a zero time in the seen vector";
            }
        }

        return null;
    }

    private static HlcTimestamp Min(HlcTimestamp a, HlcTimestamp b) => a <= b ? a : b;

    private sealed class Participant
    {
        public TimeSpan LastHeard { get; set; }

        public bool HoldsEntries { get; set; } = true;

        /// <summary>Its seen vector from its last merged state; null until then.</summary>
        public Dictionary<string, HlcTimestamp>? Reported { get; set; }
    }
}
