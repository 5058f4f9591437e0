namespace Engine.Transport.Quic.Recovery;

// Declaring packets lost by packet and time threshold (RFC 9002 §6.1), and persistent congestion (§7.6).
internal sealed partial class LossRecovery
{
    // RFC 9002 A.10 and the loss half of B.8, including persistent congestion (§7.6) among the
    // ack-eliciting packets of this batch sent after the first RTT sample.
    private void DetectAndRemoveLostPackets(int s, TimeSpan now)
    {
        _lossTime[s] = null;
        long largestAcked = _largestAcked[s];
        if (largestAcked < 0)
        {
            return;
        }

        TimeSpan lossDelay = Max(Max(Rtt.LatestRtt, Rtt.SmoothedRtt) * 9 / 8, Granularity);
        TimeSpan lostSendTime = now - lossDelay;
        TimeSpan congestionPeriod = (BasePto() + PeerMaxAckDelay) * PersistentCongestionThreshold;

        long bytesLost = 0;
        TimeSpan largestLostTimeSent = TimeSpan.MinValue;
        TimeSpan? runStart = null;
        bool persistentCongestion = false;
        SentPacketQueue queue = _sent[s];
        for (int i = 0; i < queue.Count; i++)
        {
            ref SentPacketQueue.Slot slot = ref queue[i];
            if (slot.PacketNumber > largestAcked)
            {
                break;
            }

            if (slot.Packet is not { } packet)
            {
                // An acknowledged packet between two lost ones ends the congestion period.
                if (slot.Acked)
                {
                    runStart = null;
                }

                continue;
            }

            if (packet.TimeSent > lostSendTime && packet.PacketNumber > largestAcked - PacketThreshold)
            {
                TimeSpan lossTime = packet.TimeSent + lossDelay;
                if (_lossTime[s] is not { } earliest || lossTime < earliest)
                {
                    _lossTime[s] = lossTime;
                }

                continue;
            }

            slot.Packet = null;
            OnRemoved(s, packet);
            _newlyLost.Add(packet);
            if (packet.InFlight)
            {
                bytesLost += packet.Size;
                largestLostTimeSent = Max(largestLostTimeSent, packet.TimeSent);
            }

            if (packet.AckEliciting && _firstRttSampleTime is { } firstSample && packet.TimeSent > firstSample)
            {
                if (runStart is not { } start)
                {
                    runStart = packet.TimeSent;
                }
                else if (packet.TimeSent - start > congestionPeriod)
                {
                    persistentCongestion = true;
                }
            }
        }

        queue.TrimHead();
        if (bytesLost > 0)
        {
            CongestionController.OnPacketsLost(largestLostTimeSent, bytesLost, now);
        }

        if (persistentCongestion)
        {
            CongestionController.OnPersistentCongestion();
        }
    }
}
