using CsCheck;
using Engine.Documents;
using Engine.State.Clock;
using Engine.State.Crdt;
using Engine.State.Serialization;

namespace Engine.Tests.Documents;

public class RoomDocumentTests
{
    private static RoomDocument NewDocument(uint node, TimeProvider? time = null, DocumentLimits? limits = null) =>
        new(new HybridLogicalClock(node, time ?? TimeProvider.System), limits);

    [Fact]
    public void SetRemoveIncrement_Local_ReadBackAndReportedToClients()
    {
        RoomDocument doc = NewDocument(1);

        Assert.Null(doc.Set("title", "Arena"));
        Assert.Null(doc.Increment("score:alice", 3));
        Assert.Null(doc.Increment("score:alice", 2));
        Assert.Null(doc.Set("gone", "x"));
        Assert.Null(doc.Remove("gone"));

        Assert.Equal("Arena", doc.Get("title"));
        Assert.Null(doc.Get("gone"));
        Assert.Equal(5, doc.GetCounter("score:alice"));
        Assert.Equal(1, doc.Count);
        Assert.Equal(1, doc.TombstoneCount);
        (List<KeyValuePair<string, string?>> entries, List<KeyValuePair<string, long>> counters) = doc.TakeClientChanges();
        Assert.Equal([KeyValuePair.Create("gone", (string?)null), KeyValuePair.Create("title", (string?)"Arena")], entries.OrderBy(e => e.Key));
        Assert.Equal([KeyValuePair.Create("score:alice", 5L)], counters);
        Assert.False(doc.HasClientChanges);
    }

    [Fact]
    public void Writes_BeyondLimits_RefusedWithReasonAndNothingChanges()
    {
        RoomDocument doc = NewDocument(1, limits: new DocumentLimits { MaxEntries = 2, MaxCounters = 1, MaxValueLength = 4, MaxIncrement = 10 });

        Assert.NotNull(doc.Set("", "x"));
        Assert.NotNull(doc.Set(new string('k', 65), "x"));
        Assert.NotNull(doc.Set("bell\a", "x"));
        Assert.NotNull(doc.Set("k", "12345"));
        Assert.Null(doc.Set("a", "1"));
        Assert.Null(doc.Set("b", "2"));
        Assert.NotNull(doc.Set("c", "3"));
        Assert.Null(doc.Set("a", "4")); // an existing key is not a new entry
        Assert.NotNull(doc.Increment("n", 0));
        Assert.NotNull(doc.Increment("n", 11));
        Assert.Null(doc.Increment("n", -10));
        Assert.NotNull(doc.Increment("m", 1));

        Assert.Equal(2, doc.Count);
        Assert.Null(doc.Get("c"));
        Assert.Equal(-10, doc.GetCounter("n"));
        Assert.Equal(0, doc.GetCounter("m"));
    }

    [Fact]
    public void TryTakeDelta_AfterMerge_CarriesOnlyLocalWrites()
    {
        RoomDocument a = NewDocument(1);
        RoomDocument b = NewDocument(2);
        a.Set("x", "from a");
        a.Increment("c", 4);
        Assert.True(a.TryTakeDelta(out DocumentDelta? fromA));

        Assert.Null(b.Merge(fromA));
        Assert.False(b.TryTakeDelta(out _)); // merged remote writes are not re-sent
        b.Increment("c", 1);
        Assert.True(b.TryTakeDelta(out DocumentDelta? fromB));
        Assert.Null(fromB.Entries);
        Assert.Null(a.Merge(fromB));

        Assert.Equal(5, a.GetCounter("c"));
        Assert.Equal(5, b.GetCounter("c"));
        Assert.Equal("from a", b.Get("x"));
    }

    [Fact]
    public void Merge_ConcurrentSets_HighestTimestampWinsOnEveryReplica()
    {
        var time = new ManualTimeProvider();
        RoomDocument a = NewDocument(1, time);
        RoomDocument b = NewDocument(2, time);
        a.Set("title", "older");
        time.Advance(TimeSpan.FromMilliseconds(5));
        b.Set("title", "newer");
        Assert.True(a.TryTakeDelta(out DocumentDelta? fromA));
        Assert.True(b.TryTakeDelta(out DocumentDelta? fromB));

        Assert.Null(a.Merge(fromB));
        Assert.Null(b.Merge(fromA));

        Assert.Equal("newer", a.Get("title"));
        Assert.Equal("newer", b.Get("title"));
    }

    [Fact]
    public void Merge_TimestampBeyondDriftLimit_RefusedWholeAndNothingChanges()
    {
        var time = new ManualTimeProvider();
        RoomDocument local = NewDocument(1, time);
        var forged = new LwwMap<string, string>();
        forged.Set("ok", "fine", new HlcTimestamp(time.GetUtcNow().ToUnixTimeMilliseconds(), 0, 9));
        forged.Set("title", "from the future", new HlcTimestamp(time.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds(), 0, 9));

        string? refused = local.Merge(new DocumentDelta { Entries = forged });

        Assert.NotNull(refused);
        Assert.Equal(0, local.Count);
        Assert.False(local.HasClientChanges);
    }

    [Fact]
    public void Merge_DeltaOverLimitsOrOverflowingCounter_Refused()
    {
        RoomDocument local = NewDocument(1, limits: new DocumentLimits { MaxEntries = 2 });
        var tooMany = new LwwMap<string, string>();
        var clock = new HybridLogicalClock(9);
        foreach (string key in new[] { "a", "b", "c" })
        {
            tooMany.Set(key, "v", clock);
        }

        var huge = new PNCounter();
        huge.Increment(9, ulong.MaxValue / 2);
        var big = new PNCounter();
        big.Increment(9, (ulong)DocumentLimits.MaxCounterMagnitude + 1);

        Assert.NotNull(local.Merge(new DocumentDelta { Entries = tooMany }));
        Assert.NotNull(local.Merge(new DocumentDelta { Counters = new() { ["c"] = huge } }));
        Assert.NotNull(local.Merge(new DocumentDelta { Counters = new() { ["c"] = big } }));
        Assert.Equal(0, local.Count);
        Assert.Empty(local.Counters);
    }

    [Fact]
    public void Merge_CounterWithoutState_RefusedNotThrown()
    {
        RoomDocument local = NewDocument(1);

        Assert.NotNull(local.Merge(new DocumentDelta { Counters = new() { ["c"] = null! } }));
        Assert.Empty(local.Counters);
    }

    [Fact]
    public void ReplicationMessage_EncodesAndDecodes_StateRoundTrips()
    {
        RoomDocument a = NewDocument(1);
        a.Set("title", "Arena");
        a.Set("gone", "x");
        a.Remove("gone");
        a.Increment("score:bob", 7);
        a.Increment("votes", -2);
        byte[] bytes = StateCodec.Encode(new DocumentReplicationMessage { Kind = DocumentReplicationKind.State, Document = a.ToState() });

        DocumentReplicationMessage decoded = StateCodec.Decode<DocumentReplicationMessage>(bytes);
        RoomDocument b = NewDocument(2);
        Assert.Null(b.Merge(decoded.Document!));

        Assert.Equal(DocumentReplicationKind.State, decoded.Kind);
        Assert.Equal("Arena", b.Get("title"));
        Assert.Equal(1, b.TombstoneCount);
        Assert.Equal(7, b.GetCounter("score:bob"));
        Assert.Equal(-2, b.GetCounter("votes"));
    }

    [Fact]
    public void Merge_RandomWritesDeliveredInAnyOrderWithDuplicates_AllReplicasConverge()
    {
        Gen.Int[0, 2].Select(Gen.Int[0, 5], Gen.Int[0, 2], Gen.Int[1, 9]).Array[1, 60].Select(Gen.Int)
            .Sample(((int Replica, int Key, int Op, int Amount)[] ops, int seed) =>
            {
                RoomDocument[] replicas = [NewDocument(1), NewDocument(2), NewDocument(3)];
                var sent = new List<DocumentDelta>();
                long[] expectedCounter = new long[6];
                foreach ((int replica, int key, int op, int amount) in ops)
                {
                    RoomDocument doc = replicas[replica];
                    _ = op switch
                    {
                        0 => doc.Set("k" + key, $"{replica}:{amount}"),
                        1 => doc.Remove("k" + key),
                        _ => doc.Increment("c" + key, amount),
                    };
                    if (op == 2)
                    {
                        expectedCounter[key] += amount;
                    }

                    if (doc.TryTakeDelta(out DocumentDelta? delta))
                    {
                        sent.Add(delta);
                    }
                }

                var random = new Random(seed);
                foreach (RoomDocument replica in replicas)
                {
                    // Every delta, shuffled, some twice: order and duplicates must not matter.
                    foreach (DocumentDelta delta in sent.Concat(sent.Where(_ => random.Next(3) == 0)).OrderBy(_ => random.Next()))
                    {
                        Assert.Null(replica.Merge(delta));
                    }
                }

                for (int i = 1; i < replicas.Length; i++)
                {
                    Assert.Equal(replicas[0].Items.OrderBy(e => e.Key), replicas[i].Items.OrderBy(e => e.Key));
                    Assert.Equal(replicas[0].Counters.OrderBy(c => c.Key), replicas[i].Counters.OrderBy(c => c.Key));
                }

                for (int key = 0; key < expectedCounter.Length; key++)
                {
                    Assert.Equal(expectedCounter[key], replicas[0].GetCounter("c" + key));
                }
            });
    }
}
