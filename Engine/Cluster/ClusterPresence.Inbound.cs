using System.Runtime.CompilerServices;
using Engine.Rooms;
using Engine.State.Clock;
using Engine.State.Crdt;
using Engine.State.Serialization;

namespace Engine.Cluster;

/// <summary>The receiving side: size cap, decode, the message's rules, the clock's drift limit, then the view.</summary>
internal sealed partial class ClusterPresence
{
    /// <summary>Longest player name taken from a peer: twice the join limit (32), so a later, longer limit still fits.</summary>
    internal const int MaxNameLength = 64;

    /// <summary>Longest instance id taken as a sender or a request's target.</summary>
    internal const int MaxInstanceIdLength = 64;

    /// <summary>Most parts of one full state (MaxEntriesPerPeer of one record each is already refused long before).</summary>
    internal const int MaxParts = 10_000;

    private long _lastRefusalLoggedAt;
    private long _refusalsNotLogged;

    private void OnMessage(ClusterMessage message)
    {
        if (message.SenderInstance == _bus.InstanceId || Volatile.Read(ref _disposed))
        {
            return;
        }

        string sender = message.SenderInstance ?? "";
        if (sender.Length is 0 or > MaxInstanceIdLength)
        {
            Drop(ref _malformed, sender, "no usable sender instance id");
            return;
        }

        if (message.Payload.Length > _options.MaxMessageBytes)
        {
            Drop(ref _malformed, sender, $"{message.Payload.Length} bytes, over the {_options.MaxMessageBytes}-byte limit");
            return;
        }

        ClusterPresenceMessage decoded;
        try
        {
            decoded = StateCodec.Decode<ClusterPresenceMessage>(message.Payload.Span);
        }
        catch (StateDecodeException exception)
        {
            Drop(ref _malformed, sender, exception.Message);
            return;
        }

        if (Problem(decoded, _options) is { } problem)
        {
            Drop(ref _malformed, sender, problem);
            return;
        }

        try
        {
            _clock.Receive(decoded.Stamp);
        }
        catch (HlcDriftException exception)
        {
            Drop(ref _refused, sender, exception.Message);
            return;
        }

        PresenceMergeResult result = _view.Merge(sender, decoded);
        if (result.Refusal is { } refusal)
        {
            Drop(ref _refused, sender, refusal);
            return;
        }

        Interlocked.Increment(ref _merged);
        if (decoded.Kind == ClusterPresenceKind.Request && (decoded.Target is null || decoded.Target == _bus.InstanceId))
        {
            Volatile.Write(ref _fullStateWanted, 1);
        }

        if (result.WantsFullState)
        {
            lock (_requestGate)
            {
                if (_requestTargets.Count < _options.MaxPeers)
                {
                    _requestTargets.Add(sender);
                }
            }
        }
    }

    /// <summary>What is wrong with a decoded message, or null when it keeps every rule.</summary>
    internal static string? Problem(ClusterPresenceMessage message, ClusterPresenceOptions options)
    {
        if (message.Sequence == 0)
        {
            return "sequence 0";
        }

        if (message.Stamp == HlcTimestamp.Zero)
        {
            return "the zero timestamp";
        }

        bool carriesRecords = message.Kind is ClusterPresenceKind.Delta or ClusterPresenceKind.FullState;
        switch (message.Kind)
        {
            case ClusterPresenceKind.Delta or ClusterPresenceKind.FullState when message.Records is null:
                return $"a {message.Kind} without records";
            case ClusterPresenceKind.Request or ClusterPresenceKind.Leave when message.Records is not null:
                return $"a {message.Kind} with records";
            case ClusterPresenceKind.Request when message.Target is { Length: 0 or > MaxInstanceIdLength }:
                return "a request's target is not an instance id";
            case > ClusterPresenceKind.Leave:
                return $"unknown kind {(byte)message.Kind}";
        }

        if (message.Kind == ClusterPresenceKind.FullState
            ? message.PartCount is < 1 or > MaxParts || message.Part < 0 || message.Part >= message.PartCount
            : message.Part != 0 || message.PartCount != 1)
        {
            return $"part {message.Part} of {message.PartCount}";
        }

        if (!carriesRecords)
        {
            return null;
        }

        LwwMap<PresenceKey, PresenceValue> records = message.Records!;
        if (records.AllEntries.Count > options.MaxRecordsPerMessage)
        {
            return $"{records.AllEntries.Count} records, over the limit of {options.MaxRecordsPerMessage}";
        }

        foreach ((PresenceKey key, LwwEntry<PresenceValue> entry) in records.AllEntries)
        {
            if (key.Room is null || !RoomNames.IsValid(key.Room))
            {
                return "a record's room name is not valid";
            }

            if (entry.Timestamp > message.Stamp)
            {
                return $"a record stamped {entry.Timestamp}, after its message ({message.Stamp})";
            }

            if (entry.IsRemoved)
            {
                if (message.Kind == ClusterPresenceKind.FullState)
                {
                    return "a tombstone in a full state";
                }

                continue;
            }

            PresenceValue value = entry.Value;
            if (value.Name is null || value.Name.Length is 0 or > MaxNameLength || value.Name.Any(char.IsControl))
            {
                return "a record's player name is empty, too long or has control characters";
            }

            bool online = value.Online;
            if (Unsafe.As<bool, byte>(ref online) > 1)
            {
                return "a record's online flag is not 0 or 1";
            }
        }

        return null;
    }

    /// <summary>Counts a dropped message and logs it; at most one line per interval, with how many went unlogged.</summary>
    private void Drop(ref long counter, string sender, string reason)
    {
        Interlocked.Increment(ref counter);
        long now = _time.GetTimestamp();
        long last = Interlocked.Read(ref _lastRefusalLoggedAt);
        if (last != 0 && _time.GetElapsedTime(last, now) < _options.Interval)
        {
            Interlocked.Increment(ref _refusalsNotLogged);
            return;
        }

        Interlocked.Exchange(ref _lastRefusalLoggedAt, now);
        ClusterPresenceLog.MessageDropped(_logger, sender, reason, Interlocked.Exchange(ref _refusalsNotLogged, 0));
    }
}
