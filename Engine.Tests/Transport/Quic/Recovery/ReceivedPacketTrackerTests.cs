using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Recovery;

public class ReceivedPacketTrackerTests
{
    private static readonly TimeSpan MaxAckDelay = TimeSpan.FromMilliseconds(25);

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    private static List<(long, long)> Ranges(ReceivedPacketTracker tracker) =>
        Enumerable.Range(0, tracker.RangeCount).Select(tracker.GetRange).ToList();

    private static void Receive(ReceivedPacketTracker tracker, params long[] packetNumbers)
    {
        foreach (long packetNumber in packetNumbers)
        {
            tracker.OnPacketReceived(packetNumber, ackEliciting: false, TimeSpan.Zero);
        }
    }

    // Writes the tracker's ACK frame and parses it back.
    private static (List<AckRange> Ranges, ulong AckDelay) WriteAndParse(ReceivedPacketTracker tracker, TimeSpan now, int exponent)
    {
        int length = tracker.GetAckFrameLength(now, exponent);
        var buffer = new byte[length + 16];
        var writer = new SpanWriter(buffer);
        tracker.WriteAckFrame(ref writer, now, exponent);
        Assert.Equal(length, writer.Position);

        var reader = new SpanReader(buffer.AsSpan(0, length));
        Assert.Equal(QuicTransportErrorCode.NoError, AckFrame.TryRead(ref reader, out AckFrame frame));
        Assert.Equal(0, reader.Remaining);
        var ranges = new List<AckRange>();
        foreach (AckRange range in frame.GetRanges())
        {
            ranges.Add(range);
        }

        return (ranges, frame.AckDelay);
    }

    [Fact]
    public void Constructor_Empty_NothingToAcknowledge()
    {
        var tracker = new ReceivedPacketTracker();

        Assert.Equal(-1, tracker.LargestReceived);
        Assert.False(tracker.HasRanges);
        Assert.False(tracker.IsDuplicate(0));
        Assert.Null(tracker.AckDeadline(MaxAckDelay));
        Assert.Equal(-1, tracker.LargestAcknowledgedInLastAck);
    }

    [Fact]
    public void OnPacketReceived_Contiguous_MergesIntoOneRange()
    {
        var tracker = new ReceivedPacketTracker();

        Receive(tracker, 0, 1, 2, 3);

        Assert.Equal([(0L, 3L)], Ranges(tracker));
        Assert.Equal(3, tracker.LargestReceived);
    }

    [Fact]
    public void OnPacketReceived_GapsThenFill_SplitsThenMerges()
    {
        var tracker = new ReceivedPacketTracker();

        Receive(tracker, 0, 1, 5, 3, 9);
        Assert.Equal([(0L, 1L), (3L, 3L), (5L, 5L), (9L, 9L)], Ranges(tracker));

        Receive(tracker, 2, 4, 8);
        Assert.Equal([(0L, 5L), (8L, 9L)], Ranges(tracker));

        Receive(tracker, 6, 7);
        Assert.Equal([(0L, 9L)], Ranges(tracker));
        Assert.Equal(9, tracker.LargestReceived);
    }

    [Fact]
    public void IsDuplicate_ReceivedAndNot_DistinguishesAndIgnoresRepeats()
    {
        var tracker = new ReceivedPacketTracker();
        Receive(tracker, 0, 1, 5);

        Assert.True(tracker.IsDuplicate(0));
        Assert.True(tracker.IsDuplicate(5));
        Assert.False(tracker.IsDuplicate(3));
        Assert.False(tracker.IsDuplicate(6));

        Receive(tracker, 5);
        Assert.Equal([(0L, 1L), (5L, 5L)], Ranges(tracker));
    }

    [Fact]
    public void OnPacketReceived_OverRangeCap_DropsLowestRangeAndTreatsBelowAsDuplicate()
    {
        var tracker = new ReceivedPacketTracker(maxRanges: 3);

        Receive(tracker, 0, 3, 6, 9);

        Assert.Equal([(3L, 3L), (6L, 6L), (9L, 9L)], Ranges(tracker));
        Assert.True(tracker.IsDuplicate(0));
        Assert.False(tracker.IsDuplicate(1));

        // A new range below the lowest tracked one when full drops the newcomer itself.
        Receive(tracker, 1);
        Assert.Equal([(3L, 3L), (6L, 6L), (9L, 9L)], Ranges(tracker));

        // Extending the lowest range is fine.
        Receive(tracker, 2);
        Assert.Equal([(2L, 3L), (6L, 6L), (9L, 9L)], Ranges(tracker));
        Assert.True(tracker.IsDuplicate(1));
    }

    [Fact]
    public void OnPacketReceived_ImmediateAckSpace_AckDueAtOnce()
    {
        var tracker = new ReceivedPacketTracker { SpaceUsesImmediateAck = true };

        tracker.OnPacketReceived(0, ackEliciting: true, Ms(10));

        Assert.True(tracker.AckDue(Ms(10), MaxAckDelay));
        Assert.Equal(Ms(10), tracker.AckDeadline(MaxAckDelay));
    }

    [Fact]
    public void OnPacketReceived_OneAckEliciting_AckDueAfterMaxAckDelay()
    {
        var tracker = new ReceivedPacketTracker();

        tracker.OnPacketReceived(0, ackEliciting: true, Ms(10));

        Assert.False(tracker.AckDue(Ms(34), MaxAckDelay));
        Assert.True(tracker.AckDue(Ms(35), MaxAckDelay));
        Assert.Equal(Ms(35), tracker.AckDeadline(MaxAckDelay));
    }

    [Fact]
    public void OnPacketReceived_SecondAckEliciting_AckDueImmediately()
    {
        var tracker = new ReceivedPacketTracker();
        tracker.OnPacketReceived(0, ackEliciting: true, Ms(10));

        tracker.OnPacketReceived(1, ackEliciting: true, Ms(12));

        Assert.True(tracker.AckDue(Ms(12), MaxAckDelay));
    }

    [Fact]
    public void OnPacketReceived_NonAckEliciting_NoAckDue()
    {
        var tracker = new ReceivedPacketTracker { SpaceUsesImmediateAck = true };

        Receive(tracker, 0, 1, 2, 7);

        Assert.True(tracker.HasRanges);
        Assert.Null(tracker.AckDeadline(MaxAckDelay));
        Assert.False(tracker.AckDue(Ms(1000), MaxAckDelay));
    }

    [Theory]
    [InlineData(0, 2)] // a gap below the new packet
    [InlineData(2, 0)] // an older packet fills a gap
    public void OnPacketReceived_OutOfOrderAckEliciting_AckDueImmediately(long first, long second)
    {
        var tracker = new ReceivedPacketTracker();
        tracker.OnPacketReceived(first, ackEliciting: false, Ms(0));

        tracker.OnPacketReceived(second, ackEliciting: true, Ms(1));

        Assert.True(tracker.AckDue(Ms(1), MaxAckDelay));
    }

    [Fact]
    public void WriteAckFrame_SeveralRanges_ParsesBackDescending()
    {
        var tracker = new ReceivedPacketTracker();
        Receive(tracker, 0, 1, 2, 5, 6, 9);

        (List<AckRange> ranges, _) = WriteAndParse(tracker, Ms(1), 3);

        Assert.Equal([new AckRange(9, 9), new AckRange(5, 6), new AckRange(0, 2)], ranges);
        Assert.Equal(9, tracker.LargestAcknowledgedInLastAck);
    }

    [Fact]
    public void WriteAckFrame_AckDelay_EncodedSinceLargestArrivalWithExponent()
    {
        var tracker = new ReceivedPacketTracker();
        tracker.OnPacketReceived(3, ackEliciting: true, Ms(100));
        tracker.OnPacketReceived(1, ackEliciting: true, Ms(104));

        // Measured from the largest (3) at 100 ms: 8000 µs >> 3.
        (_, ulong ackDelay) = WriteAndParse(tracker, Ms(108), 3);

        Assert.Equal(1000UL, ackDelay);
    }

    [Fact]
    public void WriteAckFrame_Pending_ClearsAckDue()
    {
        var tracker = new ReceivedPacketTracker { SpaceUsesImmediateAck = true };
        tracker.OnPacketReceived(0, ackEliciting: true, Ms(0));

        WriteAndParse(tracker, Ms(1), 3);

        Assert.False(tracker.AckDue(Ms(1000), MaxAckDelay));
        Assert.Null(tracker.AckDeadline(MaxAckDelay));
        Assert.True(tracker.HasRanges);

        // The count of ack-eliciting packets restarts: one more is not yet two.
        var delayed = new ReceivedPacketTracker();
        delayed.OnPacketReceived(0, true, Ms(0));
        delayed.OnPacketReceived(1, true, Ms(0));
        WriteAndParse(delayed, Ms(0), 3);
        delayed.OnPacketReceived(2, true, Ms(5));
        Assert.False(delayed.AckDue(Ms(5), MaxAckDelay));
    }

    [Fact]
    public void OnAckAcknowledged_Largest_StopsReportingRangesAtOrBelowIt()
    {
        var tracker = new ReceivedPacketTracker();
        Receive(tracker, 0, 1, 2, 5, 6, 9);

        tracker.OnAckAcknowledged(5);

        Assert.Equal([(6L, 6L), (9L, 9L)], Ranges(tracker));
        Assert.True(tracker.IsDuplicate(4));
        Assert.False(tracker.IsDuplicate(7));
        (List<AckRange> ranges, _) = WriteAndParse(tracker, Ms(0), 3);
        Assert.Equal([new AckRange(9, 9), new AckRange(6, 6)], ranges);
    }

    [Fact]
    public void OnAckAcknowledged_Everything_KeepsLargest()
    {
        var tracker = new ReceivedPacketTracker();
        Receive(tracker, 0, 1, 2, 5, 6, 9);

        tracker.OnAckAcknowledged(9);

        Assert.Equal([(9L, 9L)], Ranges(tracker));
        Assert.True(tracker.IsDuplicate(8));
        Receive(tracker, 10);
        Assert.Equal([(9L, 10L)], Ranges(tracker));
    }

    [Fact]
    public void OnAckAcknowledged_BelowGap_KeepsLatePacketsAcceptable()
    {
        var tracker = new ReceivedPacketTracker();
        Receive(tracker, 0, 1, 2, 5, 6);

        tracker.OnAckAcknowledged(2);

        Assert.False(tracker.IsDuplicate(3));
        Receive(tracker, 3);
        Assert.Equal([(3L, 3L), (5L, 6L)], Ranges(tracker));
    }

    [Fact]
    public void OnPacketReceived_RandomOrder_RangesMatchReceivedSetAndParseBack()
    {
        Gen.Int[0, 200].Array[1, 120].Sample(packetNumbers =>
        {
            var tracker = new ReceivedPacketTracker(maxRanges: 1000);
            var received = new HashSet<long>();
            foreach (int packetNumber in packetNumbers)
            {
                Assert.Equal(received.Contains(packetNumber), tracker.IsDuplicate(packetNumber));
                tracker.OnPacketReceived(packetNumber, ackEliciting: true, Ms(0));
                received.Add(packetNumber);
            }

            var expected = new List<AckRange>();
            foreach (long packetNumber in received.OrderDescending())
            {
                if (expected.Count > 0 && expected[^1].Smallest == (ulong)packetNumber + 1)
                {
                    expected[^1] = expected[^1] with { Smallest = (ulong)packetNumber };
                }
                else
                {
                    expected.Add(new AckRange((ulong)packetNumber, (ulong)packetNumber));
                }
            }

            (List<AckRange> ranges, _) = WriteAndParse(tracker, Ms(1), 3);
            Assert.Equal(expected, ranges);
            Assert.Equal(received.Max(), tracker.LargestReceived);
        });
    }
}
