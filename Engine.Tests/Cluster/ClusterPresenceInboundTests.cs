using Engine.Cluster;
using Engine.State.Clock;
using Engine.State.Crdt;
using Engine.State.Serialization;

namespace Engine.Tests.Cluster;

/// <summary>
/// Bad presence messages from a peer (garbage, oversized, too many records, broken rules, a timestamp
/// far ahead): each is dropped, counted and logged; the view is untouched and the instance carries on.
/// </summary>
public class ClusterPresenceInboundTests
{
    private static readonly ClusterPresenceOptions Small = new() { MaxRecordsPerMessage = 10, MaxMessageBytes = 16 * 1024 };

    private readonly ManualTimeProvider _time = new();
    private readonly InProcessClusterBus.Hub _hub = new();

    /// <summary>Each broken rule with a fragment of the reason logged for it.</summary>
    public static TheoryData<string, string> BrokenRules() => new()
    {
        { "sequence 0", "sequence 0" },
        { "zero stamp", "the zero timestamp" },
        { "delta without records", "a Delta without records" },
        { "request with records", "a Request with records" },
        { "unknown kind", "unknown kind 9" },
        { "part out of range", "part 2 of 2" },
        { "delta with parts", "part 0 of 3" },
        { "bad room name", "room name is not valid" },
        { "null room name", "room name is not valid" },
        { "empty player name", "player name is empty" },
        { "control character in name", "control characters" },
        { "record after its message", "after its message" },
        { "tombstone in full state", "a tombstone in a full state" },
        { "online byte 2", "online flag is not 0 or 1" },
        { "empty target", "target is not an instance id" },
    };

    private static ClusterPresenceMessage Valid(HybridLogicalClock clock, ulong sequence = 1)
    {
        var records = new LwwMap<PresenceKey, PresenceValue>();
        records.Set(new PresenceKey("red", 1), new PresenceValue("mallory", true), clock.Now());
        return new ClusterPresenceMessage { Kind = ClusterPresenceKind.FullState, Sequence = sequence, Stamp = clock.Now(), Records = records };
    }

    private static void Break(ClusterPresenceMessage message, string rule, HybridLogicalClock clock)
    {
        LwwMap<PresenceKey, PresenceValue> One(PresenceKey key, PresenceValue value, HlcTimestamp? at = null)
        {
            var map = new LwwMap<PresenceKey, PresenceValue>();
            map.Set(key, value, at ?? message.Stamp);
            return map;
        }

        switch (rule)
        {
            case "sequence 0": message.Sequence = 0; break;
            case "zero stamp": message.Stamp = HlcTimestamp.Zero; break;
            case "delta without records": message.Kind = ClusterPresenceKind.Delta; message.Records = null; break;
            case "request with records": message.Kind = ClusterPresenceKind.Request; break;
            case "unknown kind": message.Kind = (ClusterPresenceKind)9; break;
            case "part out of range": message.Part = 2; message.PartCount = 2; break;
            case "delta with parts": message.Kind = ClusterPresenceKind.Delta; message.PartCount = 3; break;
            case "bad room name": message.Records = One(new PresenceKey("red room!", 1), new PresenceValue("m", true)); break;
            case "null room name": message.Records = One(new PresenceKey(null!, 1), new PresenceValue("m", true)); break;
            case "empty player name": message.Records = One(new PresenceKey("red", 1), new PresenceValue("", true)); break;
            case "control character in name": message.Records = One(new PresenceKey("red", 1), new PresenceValue("m\n", true)); break;
            case "record after its message": message.Records = One(new PresenceKey("red", 1), new PresenceValue("m", true), clock.Now()); break;
            case "tombstone in full state": message.Records!.Remove(new PresenceKey("red", 1), message.Stamp); break;
            case "online byte 2":
                byte two = 2;
                message.Records = One(new PresenceKey("red", 1), new PresenceValue("m", System.Runtime.CompilerServices.Unsafe.As<byte, bool>(ref two)));
                break;
            case "empty target": message.Kind = ClusterPresenceKind.Request; message.Records = null; message.Target = ""; break;
            default: throw new ArgumentOutOfRangeException(nameof(rule), rule, null);
        }
    }

    [Theory]
    [MemberData(nameof(BrokenRules))]
    public async Task OnMessage_BrokenRule_DroppedCountedLoggedViewUntouched(string rule, string reason)
    {
        await using var victim = new PresenceTestInstance(_hub, _time, Small);
        var peer = new InProcessClusterBus(_hub);
        var clock = new HybridLogicalClock(peer.NodeId, _time);
        ClusterPresenceMessage message = Valid(clock);
        Break(message, rule, clock);

        peer.Publish(ClusterPresence.Subject, StateCodec.Encode(message));

        Assert.Equal(1, victim.Presence.Malformed);
        Assert.Equal(0, victim.Presence.Merged);
        Assert.Equal(0, victim.Presence.PeerCount);
        Assert.Empty(victim.Presence.Rooms);
        Assert.Contains("dropped a message from instance " + peer.InstanceId + ": ", victim.Logs.Text, StringComparison.Ordinal);
        Assert.Contains(reason, victim.Logs.Text, StringComparison.Ordinal);
        AssertStillWorks(victim, peer, clock);
    }

    [Fact]
    public async Task OnMessage_Garbage_DroppedAndCounted()
    {
        await using var victim = new PresenceTestInstance(_hub, _time, Small);
        var peer = new InProcessClusterBus(_hub);
        var random = new Random(7);

        for (int i = 0; i < 200; i++)
        {
            byte[] garbage = new byte[random.Next(0, 300)];
            random.NextBytes(garbage);
            peer.Publish(ClusterPresence.Subject, garbage);
        }

        Assert.Equal(200, victim.Presence.Malformed + victim.Presence.Refused + victim.Presence.Merged);
        Assert.True(victim.Presence.Malformed >= 190, $"{victim.Presence.Malformed} of 200 random payloads dropped");
        Assert.Equal(0, peer.HandlerErrors); // nothing escaped the handler
        AssertStillWorks(victim, peer, new HybridLogicalClock(peer.NodeId, _time));
    }

    [Fact]
    public async Task OnMessage_Oversized_DroppedBeforeDecoding()
    {
        await using var victim = new PresenceTestInstance(_hub, _time, Small);
        var peer = new InProcessClusterBus(_hub);
        var clock = new HybridLogicalClock(peer.NodeId, _time);
        byte[] valid = StateCodec.Encode(Valid(clock));

        peer.Publish(ClusterPresence.Subject, [.. valid, .. new byte[Small.MaxMessageBytes]]);

        Assert.Equal(1, victim.Presence.Malformed);
        Assert.Contains("over the 16384-byte limit", victim.Logs.Text, StringComparison.Ordinal);
        AssertStillWorks(victim, peer, clock);
    }

    [Fact]
    public async Task OnMessage_MoreRecordsThanTheLimit_Dropped()
    {
        await using var victim = new PresenceTestInstance(_hub, _time, Small);
        var peer = new InProcessClusterBus(_hub);
        var clock = new HybridLogicalClock(peer.NodeId, _time);
        ClusterPresenceMessage message = Valid(clock);
        for (int id = 2; id <= Small.MaxRecordsPerMessage + 1; id++)
        {
            message.Records!.Set(new PresenceKey("red", id), new PresenceValue("p" + id, true), message.Stamp);
        }

        peer.Publish(ClusterPresence.Subject, StateCodec.Encode(message));

        Assert.Equal(1, victim.Presence.Malformed);
        Assert.Empty(victim.Presence.Rooms);
        Assert.Contains("records, over the limit of 10", victim.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnMessage_TimestampFarAhead_RefusedAndTheClockUntouched()
    {
        await using var victim = new PresenceTestInstance(_hub, _time, Small);
        var peer = new InProcessClusterBus(_hub);
        var future = new ManualTimeProvider(_time.GetUtcNow() + TimeSpan.FromHours(1));
        ClusterPresenceMessage message = Valid(new HybridLogicalClock(peer.NodeId, future));
        HlcTimestamp before = victim.Clock.Current;

        peer.Publish(ClusterPresence.Subject, StateCodec.Encode(message));

        Assert.Equal(1, victim.Presence.Refused);
        Assert.Empty(victim.Presence.Rooms);
        Assert.Equal(before, victim.Clock.Current);
        Assert.Contains("dropped a message", victim.Logs.Text, StringComparison.Ordinal);
        AssertStillWorks(victim, peer, new HybridLogicalClock(peer.NodeId, _time));
    }

    [Fact]
    public void Encode_WorstCaseRecordsAtTheLimit_FitTheDefaultMessageCap()
    {
        var options = new ClusterPresenceOptions();
        var clock = new HybridLogicalClock(1, _time);
        var records = new LwwMap<PresenceKey, PresenceValue>();
        string room = new('r', 64);
        string name = new('€', ClusterPresence.MaxNameLength); // 3 bytes each in UTF-8
        for (int id = 0; id < options.MaxRecordsPerMessage; id++)
        {
            records.Set(new PresenceKey(room, id), new PresenceValue(name, true), clock.Now());
        }

        byte[] encoded = StateCodec.Encode(new ClusterPresenceMessage { Kind = ClusterPresenceKind.FullState, Sequence = 1, Stamp = clock.Now(), Records = records });

        Assert.True(encoded.Length <= options.MaxRecordsPerMessage * ClusterPresenceOptions.MaxRecordBytes, $"{encoded.Length} bytes");
        Assert.True(encoded.Length <= options.MaxMessageBytes, $"{encoded.Length} bytes");
        Assert.Null(ClusterPresence.Problem(StateCodec.Decode<ClusterPresenceMessage>(encoded), options));
    }

    /// <summary>A valid message from the same peer afterwards is taken.</summary>
    private static void AssertStillWorks(PresenceTestInstance victim, InProcessClusterBus peer, HybridLogicalClock clock)
    {
        long merged = victim.Presence.Merged;
        ClusterPresenceMessage valid = Valid(clock);
        valid.Sequence = 100;
        peer.Publish(ClusterPresence.Subject, StateCodec.Encode(valid));
        Assert.Equal(merged + 1, victim.Presence.Merged);
        Assert.Equal(["1:mallory:on@" + peer.InstanceId], victim.View("red"));
    }
}
