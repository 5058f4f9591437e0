using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Engine.Cluster;

/// <summary>The bucket: created with this instance's settings when missing, else taken as found.</summary>
public sealed partial class NatsRoomLeases
{
    /// <summary>JetStream's error code for "stream name already in use with a different configuration".</summary>
    private const int StreamNameInUse = 10058;

    /// <summary>The bucket, created with this instance's settings when missing, else as found.</summary>
    private async ValueTask<INatsKVStore> GetStoreAsync(CancellationToken token)
    {
        if (_store is { } known && !_bucketInDoubt)
        {
            return known;
        }

        await _storeGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (_store is { } again && !_bucketInDoubt)
            {
                return again;
            }

            var config = new NatsKVConfig(Bucket)
            {
                Description = "Engine room leases: key = room, value = owner instance id; entries expire unless renewed.",
                History = 1,
                MaxAge = _options.LeaseTime,
                Storage = NatsKVStorageType.File,
            };
            INatsKVStore store;
            try
            {
                // Idempotent when the bucket exists with the same configuration.
                store = await _kv.CreateStoreAsync(config, token).ConfigureAwait(false);
            }
            catch (NatsJSApiException exception) when (exception.Error.ErrCode == StreamNameInUse)
            {
                store = await _kv.GetStoreAsync(Bucket, token).ConfigureAwait(false);
            }

            NatsKVStatus status = await store.GetStatusAsync(token).ConfigureAwait(false);
            AdoptBucketMaxAge(status.Info.Config.MaxAge);
            _store = store;
            _bucketInDoubt = false;
            return store;
        }
        finally
        {
            _storeGate.Release();
        }
    }

    private void AdoptBucketMaxAge(TimeSpan maxAge)
    {
        if (maxAge <= TimeSpan.Zero)
        {
            throw new ClusterUnavailableException(
                $"Room leases: bucket {Bucket} exists without a max age, so a dead owner's lease would never expire; delete the bucket (it is re-created) or give it a max age.");
        }

        if (maxAge == _options.LeaseTime)
        {
            Interlocked.Exchange(ref _leaseTimeTicks, _options.LeaseTime.Ticks);
            Interlocked.Exchange(ref _renewIntervalTicks, _options.RenewInterval.Ticks);
            LeaseLog.BucketReady(_logger, Bucket, LeaseTime, RenewInterval, InstanceId);
            return;
        }

        TimeSpan renew = _options.RenewInterval < maxAge / 3 ? _options.RenewInterval : maxAge / 3;
        Interlocked.Exchange(ref _leaseTimeTicks, maxAge.Ticks);
        Interlocked.Exchange(ref _renewIntervalTicks, renew.Ticks);
        LeaseLog.BucketMaxAgeDiffers(_logger, Bucket, maxAge, _options.LeaseTime, LeaseTime, RenewInterval);
    }
}
