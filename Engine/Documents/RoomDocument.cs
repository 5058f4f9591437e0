using Engine.State.Clock;
using Engine.State.Crdt;

namespace Engine.Documents;

/// <summary>
/// A room's shared document: a map of string keys to string values (each key a last-writer-wins
/// register stamped by the instance's hybrid logical clock) and named counters (each a PN-counter:
/// a counter only ever increased is a G-counter). Every instance that hosts the room holds a
/// replica; local writes are stamped here and sent to the others as deltas, and their deltas merge
/// in, so all replicas converge whatever the order. Not thread-safe: the room's lock guards it.
/// </summary>
public sealed class RoomDocument
{
    private readonly LwwMap<string, string> _entries = new();
    private readonly Dictionary<string, PNCounter> _counters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changedCounters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _clientKeys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _clientCounters = new(StringComparer.Ordinal);

    // For each tombstone, when this replica came to hold it (its own removal's timestamp, or this
    // clock's time when a peer's merged in): a tombstone may go only once every participant has
    // merged a state of ours sent after that, whatever the removal's own timestamp says.
    private readonly Dictionary<string, HlcTimestamp> _tombstoneHeldSince = new(StringComparer.Ordinal);

    // The highest horizon pruned at. A peer that has not pruned yet sends its tombstones again; one
    // older than this, for a key this replica does not hold, is not taken back in (else replicas
    // pruning a round apart would hand the same tombstone back and forth for ever). Safe for the
    // reason the pruning was: every live writer's writes older than the horizon are everywhere.
    private HlcTimestamp _prunedBelow;
    private readonly HybridLogicalClock _clock;

    /// <summary>A document whose writes this instance stamps with <paramref name="clock"/>.</summary>
    public RoomDocument(HybridLogicalClock clock, DocumentLimits? limits = null)
    {
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        Limits = limits ?? new DocumentLimits();
        Limits.Validate();
    }

    /// <summary>The limits every write and merge is held to.</summary>
    public DocumentLimits Limits { get; }

    /// <summary>What this replica knows of the others, to agree on a pruning horizon (guarded by the same lock).</summary>
    internal PruningHorizon Horizon { get; } = new();

    /// <summary>Live keys.</summary>
    public int Count => _entries.Count;

    /// <summary>Keys removed but still remembered, so an older write cannot bring them back.</summary>
    public int TombstoneCount => _entries.TombstoneCount;

    /// <summary>True when the replica holds no key, tombstone or counter.</summary>
    public bool IsEmpty => _entries.AllEntries.Count == 0 && _counters.Count == 0;

    /// <summary>The live key/value pairs.</summary>
    public IEnumerable<KeyValuePair<string, string>> Items => _entries.Items;

    /// <summary>Every counter's current value.</summary>
    public IEnumerable<KeyValuePair<string, long>> Counters => _counters.Select(c => KeyValuePair.Create(c.Key, c.Value.Value));

    /// <summary>True when local writes wait to be replicated (<see cref="TryTakeDelta"/>).</summary>
    public bool HasPendingDelta => _entries.HasPendingDelta || _changedCounters.Count > 0;

    /// <summary>True when clients have not yet been told of some change (<see cref="TakeClientChanges"/>).</summary>
    public bool HasClientChanges => _clientKeys.Count > 0 || _clientCounters.Count > 0;

    /// <summary>The value of <paramref name="key"/>, or null when it is not set.</summary>
    public string? Get(string key) => _entries.TryGetValue(key, out string? value) ? value : null;

    /// <summary>The value of <paramref name="key"/> with the timestamp of the write that set it; false when not set.</summary>
    public bool TryGetEntry(string key, out string value, out HlcTimestamp timestamp)
    {
        if (_entries.AllEntries.TryGetValue(key, out LwwEntry<string> entry) && !entry.IsRemoved)
        {
            value = entry.Value!;
            timestamp = entry.Timestamp;
            return true;
        }

        value = "";
        timestamp = default;
        return false;
    }

    /// <summary>The counter's value; 0 for a counter never written.</summary>
    public long GetCounter(string name) => _counters.TryGetValue(name, out PNCounter? counter) ? counter.Value : 0;

    /// <summary>Sets <paramref name="key"/> locally. Returns null, or why the write was refused.</summary>
    public string? Set(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (CheckKey(key) is { } bad)
        {
            return bad;
        }

        if (value.Length > Limits.MaxValueLength)
        {
            return $"Document values are at most {Limits.MaxValueLength} characters.";
        }

        if (!_entries.AllEntries.ContainsKey(key) && _entries.AllEntries.Count >= Limits.MaxEntries)
        {
            return $"The document holds at most {Limits.MaxEntries} keys.";
        }

        _entries.Set(key, value, _clock);
        _tombstoneHeldSince.Remove(key);
        _clientKeys.Add(key);
        return null;
    }

    /// <summary>Removes <paramref name="key"/> locally (a tombstone). Returns null, or why not.</summary>
    public string? Remove(string key)
    {
        if (CheckKey(key) is { } bad)
        {
            return bad;
        }

        if (!_entries.ContainsKey(key))
        {
            return null; // nothing to remove: no tombstone needed, nothing to send
        }

        _entries.Remove(key, _clock);
        _tombstoneHeldSince[key] = _entries.AllEntries[key].Timestamp;
        _clientKeys.Add(key);
        return null;
    }

    /// <summary>
    /// Adds <paramref name="amount"/> (negative: subtracts) to the counter <paramref name="name"/>
    /// on behalf of this instance. Returns null, or why the write was refused.
    /// </summary>
    public string? Increment(string name, long amount)
    {
        if (CheckKey(name) is { } bad)
        {
            return bad;
        }

        if (amount == 0 || amount > Limits.MaxIncrement || amount < -Limits.MaxIncrement)
        {
            return $"Counter increments are ±1 to ±{Limits.MaxIncrement}.";
        }

        bool exists = _counters.TryGetValue(name, out PNCounter? counter);
        if (!exists && _counters.Count >= Limits.MaxCounters)
        {
            return $"The document holds at most {Limits.MaxCounters} counters.";
        }

        long current = counter?.Value ?? 0;
        if (Math.Abs(current + amount) > DocumentLimits.MaxCounterMagnitude)
        {
            return $"Counters stay within ±{DocumentLimits.MaxCounterMagnitude}.";
        }

        if (counter is null)
        {
            counter = new PNCounter();
            _counters.Add(name, counter);
        }

        if (amount > 0)
        {
            counter.Increment(_clock.NodeId, (ulong)amount);
        }
        else
        {
            counter.Decrement(_clock.NodeId, (ulong)-amount);
        }

        _changedCounters.Add(name);
        _clientCounters.Add(name);
        return null;
    }

    /// <summary>Applies a player's write (already allowed by the room) under the limits: null, or why it was refused.</summary>
    public string? Apply(DocumentWrite write) => write.Kind switch
    {
        DocumentWriteKind.Set => Set(write.Key, write.Value ?? ""),
        DocumentWriteKind.Remove => Remove(write.Key),
        _ => Increment(write.Key, write.Amount),
    };

    /// <summary>Takes the local writes since the last call, to replicate. False when there are none.</summary>
    public bool TryTakeDelta([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DocumentDelta? delta)
    {
        if (!HasPendingDelta)
        {
            delta = null; // the tick asks every time: nothing allocated when nothing changed
            return false;
        }

        delta = new DocumentDelta();
        if (_entries.TryTakeDelta(out LwwMap<string, string>? entries))
        {
            delta.Entries = entries;
        }

        if (_changedCounters.Count > 0)
        {
            delta.Counters = new Dictionary<string, PNCounter>(StringComparer.Ordinal);
            foreach (string name in _changedCounters)
            {
                if (_counters[name].TryTakeDelta(out PNCounter? counterDelta))
                {
                    delta.Counters[name] = counterDelta;
                }
            }

            _changedCounters.Clear();
        }

        return !delta.IsEmpty;
    }

    /// <summary>The whole replica (every entry, tombstones included, and every counter), for a peer catching up.</summary>
    public DocumentDelta ToState() => new()
    {
        Entries = _entries.Clone(),
        Counters = _counters.ToDictionary(c => c.Key, c => c.Value.Clone(), StringComparer.Ordinal),
    };

    /// <summary>
    /// Merges a peer's delta or state. The whole delta is checked first — key and value sizes, the
    /// key and counter limits, every timestamp against the clock's drift limit (through
    /// <see cref="HybridLogicalClock.Receive"/>, which also advances this clock past it), counter
    /// magnitudes — and refused whole, changing nothing, when any check fails.
    /// </summary>
    /// <returns>Null when merged, else why it was refused.</returns>
    public string? Merge(DocumentDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (Check(delta, out HlcTimestamp received) is { } refused)
        {
            return refused;
        }

        if (delta.Entries is { } entries)
        {
            HashSet<string>? alreadyPruned = null;
            foreach ((string key, LwwEntry<string> entry) in entries.AllEntries)
            {
                if (IsAlreadyPruned(key, entry))
                {
                    (alreadyPruned ??= new HashSet<string>(StringComparer.Ordinal)).Add(key);
                }
                else if (!_entries.AllEntries.TryGetValue(key, out LwwEntry<string> mine) || entry.Timestamp > mine.Timestamp)
                {
                    _clientKeys.Add(key);
                    if (entry.IsRemoved)
                    {
                        _tombstoneHeldSince[key] = received;
                    }
                    else
                    {
                        _tombstoneHeldSince.Remove(key);
                    }
                }
            }

            _entries.Merge(entries);
            if (alreadyPruned is not null)
            {
                _entries.PruneTombstones((key, _) => alreadyPruned.Contains(key));
            }
        }

        if (delta.Counters is { } counters)
        {
            foreach ((string name, PNCounter remote) in counters)
            {
                if (!_counters.TryGetValue(name, out PNCounter? mine))
                {
                    _counters.Add(name, remote.Clone());
                    _clientCounters.Add(name);
                    continue;
                }

                long before = mine.Value;
                mine.Merge(remote);
                if (mine.Value != before)
                {
                    _clientCounters.Add(name);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Drops the tombstones this replica has held since before <paramref name="horizon"/>, freeing
    /// their keys' slots. Safe once every replica that could hold an older value of those keys has
    /// merged a state of this one sent after the horizon (see <see cref="PruningHorizon"/>).
    /// </summary>
    /// <returns>How many tombstones were dropped.</returns>
    public int PruneTombstones(HlcTimestamp horizon)
    {
        _prunedBelow = HlcTimestamp.Max(_prunedBelow, horizon);
        return _entries.PruneTombstones((key, timestamp) =>
        {
            if (_tombstoneHeldSince.GetValueOrDefault(key, timestamp) >= horizon)
            {
                return false;
            }

            _tombstoneHeldSince.Remove(key); // the map drops every tombstone this returns true for
            return true;
        });
    }

    /// <summary>The keys and counters changed since the last call (values as they are now; a removed key has a null value).</summary>
    public (List<KeyValuePair<string, string?>> Entries, List<KeyValuePair<string, long>> Counters) TakeClientChanges()
    {
        var entries = _clientKeys.Select(k => KeyValuePair.Create(k, Get(k))).ToList();
        var counters = _clientCounters.Select(c => KeyValuePair.Create(c, GetCounter(c))).ToList();
        _clientKeys.Clear();
        _clientCounters.Clear();
        return (entries, counters);
    }

    /// <summary>A peer's tombstone for a key this replica does not hold, older than a horizon it already pruned at.</summary>
    private bool IsAlreadyPruned(string key, LwwEntry<string> entry) =>
        entry.IsRemoved && entry.Timestamp < _prunedBelow && !_entries.AllEntries.ContainsKey(key);

    private string? CheckKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Length == 0 || key.Length > Limits.MaxKeyLength || key.Any(char.IsControl)
            ? $"Document keys and counter names are 1–{Limits.MaxKeyLength} characters without control characters."
            : null;
    }

    private string? Check(DocumentDelta delta, out HlcTimestamp received)
    {
        received = HlcTimestamp.Zero;
        HlcTimestamp newest = HlcTimestamp.Zero;
        if (delta.Entries is { } entries)
        {
            int added = 0;
            foreach ((string key, LwwEntry<string> entry) in entries.AllEntries)
            {
                if (key is null || CheckKey(key) is { } bad)
                {
                    return "a key is missing or out of bounds";
                }

                if (!entry.IsRemoved && (entry.Value is null || entry.Value.Length > Limits.MaxValueLength))
                {
                    return $"a value of key '{key}' is missing or longer than {Limits.MaxValueLength} characters";
                }

                if (!_entries.AllEntries.ContainsKey(key) && !IsAlreadyPruned(key, entry))
                {
                    added++;
                }

                newest = HlcTimestamp.Max(newest, entry.Timestamp);
            }

            if (_entries.AllEntries.Count + added > Limits.MaxEntries)
            {
                return $"merging would make {_entries.AllEntries.Count + added} keys, over the limit of {Limits.MaxEntries}";
            }
        }

        if (delta.Counters is { } counters)
        {
            int added = 0;
            foreach ((string name, PNCounter remote) in counters)
            {
                if (name is null || remote is null || CheckKey(name) is not null)
                {
                    return "a counter's name or state is missing or out of bounds";
                }

                PNCounter merged = _counters.TryGetValue(name, out PNCounter? mine) ? mine.Clone() : new PNCounter();
                if (mine is null)
                {
                    added++;
                }

                try
                {
                    merged.Merge(remote);
                    if (Math.Abs(merged.Value) > DocumentLimits.MaxCounterMagnitude)
                    {
                        return $"counter '{name}' would pass ±{DocumentLimits.MaxCounterMagnitude}";
                    }
                }
                catch (OverflowException)
                {
                    return $"counter '{name}' overflows";
                }
            }

            if (_counters.Count + added > Limits.MaxCounters)
            {
                return $"merging would make {_counters.Count + added} counters, over the limit of {Limits.MaxCounters}";
            }
        }

        if (newest != HlcTimestamp.Zero)
        {
            try
            {
                received = _clock.Receive(newest);
            }
            catch (HlcDriftException exception)
            {
                return exception.Message;
            }
        }

        return null;
    }
}
