using System.Threading.Channels;
using DcOs.Core;
using DcOs.Core.Placement;
using DcOs.Transport;
using DcOs.Transport.Messages;
using Microsoft.Extensions.Logging;

namespace DcOs.Framework.Internal;

/// <summary>
/// The framework side: keeps one connection to the master (reconnecting with backoff and re-subscribing with the id it
/// was given), turns messages into scheduler callbacks on one event loop, in order, drops status updates it has
/// already delivered (resends carry the same update id) and acknowledges updates after the scheduler handled them.
/// It tracks the offers the scheduler has not answered: when an offers callback throws, those of its batch are
/// declined with a short filter, so a scheduler's bug never holds a cluster's resources.
/// </summary>
internal sealed class FrameworkDriver : IFrameworkClient, IMessageHandler
{
    private readonly IDcOsTransport _transport;
    private readonly FrameworkOptions _options;
    private readonly IFrameworkScheduler _scheduler;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Func<Task>> _events = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DeliveredUpdates _delivered = new();
    private readonly Lock _offersGate = new();
    private readonly HashSet<OfferId> _unanswered = [];
    private volatile FrameworkCallbackError? _lastError;
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ReconnectingConnection? _connector;
    private Task _loop = Task.CompletedTask;
    private volatile IMessageConnection? _connection;
    private FrameworkInfo _info;
    private bool _everSubscribed;
    private PendingSubscription? _subscription;

    public FrameworkDriver(IDcOsTransport transport, FrameworkOptions options, IFrameworkScheduler scheduler, TimeProvider time, ILogger logger)
    {
        _transport = transport;
        _options = options;
        _scheduler = scheduler;
        _time = time;
        _logger = logger;
        _info = options.Framework;
    }

    public FrameworkId FrameworkId => _info.Id;

    public BillingMode Billing { get; private set; } = BillingMode.Machine;

    public bool IsConnected => _connection is not null;

    public Task Subscribed => _subscribed.Task;

    public FrameworkCallbackError? LastCallbackError => _lastError;

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        _loop = Task.Run(RunEventsAsync, CancellationToken.None);
        var credentials = _options.Credentials ?? new ClientCredentials(_info.Principal ?? _info.Name, PeerRole.Framework);
        _connector = new ReconnectingConnection(_transport, [_options.Master], () => credentials, this, SubscribeAsync,
            new Backoff(_options.ReconnectInitialDelay, _options.ReconnectMaxDelay), _time, _logger);
        _connector.Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Subscribes on a new connection. The request goes as a plain message and the master answers the same way,
    /// before the offers it sends next; the answer is handled in <see cref="OnMessageAsync"/>, in order, so the
    /// scheduler always hears SubscribedAsync before any offer or update of the new subscription.
    /// </summary>
    private async Task SubscribeAsync(IMessageConnection connection, CancellationToken cancellationToken)
    {
        var pending = new PendingSubscription(connection);
        _subscription = pending;
        DcOsMessage answer;
        try
        {
            await connection.SendAsync(new SubscribeFramework { Framework = _info }, cancellationToken).ConfigureAwait(false);
            answer = await pending.Answer.Task.WaitAsync(_options.SubscribeTimeout, connection.Time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.CompareExchange(ref _subscription, null, pending);
        }
        switch (answer)
        {
            case FrameworkSubscribed:
                break;
            case ErrorMessage error:
                if (error.Code == ErrorCode.FrameworkRemoved)
                {
                    _subscribed.TrySetException(new InvalidOperationException(error.Message));
                    _ = Task.Run(async () => await DisposeAsync().ConfigureAwait(false), CancellationToken.None);
                }
                await connection.CloseAsync("subscription refused: " + error.Message).ConfigureAwait(false);
                break;
            default:
                await connection.CloseAsync($"unexpected answer {answer.GetType().Name} to a subscription").ConfigureAwait(false);
                break;
        }
    }

    /// <summary>The master's answer to the subscription pending on <paramref name="connection"/>, handled before the next message.</summary>
    private bool TryAnswerSubscription(IMessageConnection connection, DcOsMessage answer)
    {
        if (_subscription is not { } pending || !ReferenceEquals(pending.Connection, connection)) return false;
        switch (answer)
        {
            case FrameworkSubscribed subscribed:
                _info = _info with { Id = subscribed.FrameworkId };
                Billing = subscribed.Billing is { } billing && Enum.IsDefined(billing) ? billing : BillingMode.Machine;
                var reconnected = _everSubscribed;
                _everSubscribed = true;
                _connection = connection;
                FrameworkLog.Subscribed(_logger, subscribed.FrameworkId.Value, reconnected);
                Enqueue(() => _scheduler.SubscribedAsync(this, subscribed.FrameworkId, reconnected));
                Enqueue(() =>
                {
                    _subscribed.TrySetResult();
                    return Task.CompletedTask;
                });
                break;
            case ErrorMessage error:
                Enqueue(() => _scheduler.ErrorAsync(this, error.Message));
                break;
        }
        pending.Answer.TrySetResult(answer);
        return true;
    }

    // ---- messages from the master ----

    public ValueTask OnMessageAsync(MessageContext context)
    {
        var message = context.Message;
        switch (message)
        {
            case FrameworkSubscribed or ErrorMessage when TryAnswerSubscription(context.Connection, message):
                break;
            case OffersMessage offers:
                Enqueue(() => DeliverOffersAsync(offers.Offers));
                break;
            case RescindOffer rescind:
                Answered([rescind.OfferId]);
                Enqueue(() => _scheduler.OfferRescindedAsync(this, rescind.OfferId));
                break;
            case StatusUpdate { Status: { } status }:
                Enqueue(() => DeliverStatusAsync(status));
                break;
            case FrameworkMessage data:
                Enqueue(() => _scheduler.FrameworkMessageAsync(this, data.AgentId, data.ExecutorId, data.Data));
                break;
            case AgentLost lost:
                Enqueue(() => _scheduler.AgentLostAsync(this, lost.AgentId, lost.Reason));
                break;
            case ErrorMessage error:
                Enqueue(() => _scheduler.ErrorAsync(this, error.Message));
                break;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>A subscription sent on <see cref="Connection"/> and the answer it waits for.</summary>
    private sealed class PendingSubscription(IMessageConnection connection)
    {
        public IMessageConnection Connection { get; } = connection;

        public TaskCompletionSource<DcOsMessage> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void OnClosed(IMessageConnection connection, CloseReason reason)
    {
        if (!ReferenceEquals(_connection, connection)) return;
        _connection = null;
        // The master voids a disconnected framework's offers.
        lock (_offersGate) _unanswered.Clear();
        Enqueue(() => _scheduler.DisconnectedAsync(this, reason.Message));
    }

    /// <summary>
    /// Hands a batch of offers to the scheduler. If it throws, the offers of the batch it did not accept or decline go
    /// back to the master at once (declined for <see cref="FrameworkOptions.FailedCallbackRefuse"/>), and the error is
    /// kept in <see cref="LastCallbackError"/>; the loop then logs it.
    /// </summary>
    private async Task DeliverOffersAsync(IReadOnlyList<Offer> offers)
    {
        lock (_offersGate)
        {
            foreach (var offer in offers) _unanswered.Add(offer.Id);
        }
        try
        {
            await _scheduler.OffersAsync(this, offers).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            List<OfferId> held;
            lock (_offersGate) held = [.. offers.Select(o => o.Id).Where(_unanswered.Contains)];
            if (held.Count > 0) await DeclineAsync(held, new Filters(_options.FailedCallbackRefuse.TotalSeconds)).ConfigureAwait(false);
            _lastError = new FrameworkCallbackError(nameof(IFrameworkScheduler.OffersAsync), e.Message, _time.GetUtcNow(), held.Count);
            throw;
        }
    }

    /// <summary>Offers the scheduler answered (or the master withdrew): no longer held by this framework.</summary>
    private void Answered(IEnumerable<OfferId> offerIds)
    {
        lock (_offersGate)
        {
            foreach (var id in offerIds) _unanswered.Remove(id);
        }
    }

    private async Task DeliverStatusAsync(TaskStatusUpdate status)
    {
        if (status.NeedsAcknowledgement && !_delivered.TryRemember(status))
        {
            // A resend of an update the scheduler already handled: acknowledge again so the agent stops resending.
            if (_options.AutoAcknowledge) await AcknowledgeAsync(status).ConfigureAwait(false);
            return;
        }
        try
        {
            await _scheduler.StatusUpdateAsync(this, status).ConfigureAwait(false);
        }
        catch
        {
            // The scheduler did not handle it (its store may be failing): not acknowledged, so the agent sends it again,
            // and not remembered, so that resend is delivered rather than taken for a duplicate.
            if (status.NeedsAcknowledgement) _delivered.Forget(status);
            throw;
        }
        if (_options.AutoAcknowledge && status.NeedsAcknowledgement) await AcknowledgeAsync(status).ConfigureAwait(false);
    }

    private void Enqueue(Func<Task> callback) => _events.Writer.TryWrite(callback);

    private async Task RunEventsAsync()
    {
        await foreach (var callback in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await callback().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                FrameworkLog.CallbackFailed(_logger, e);
            }
        }
    }

    // ---- driver calls ----

    private ValueTask SendAsync(DcOsMessage message)
    {
        var connection = _connection;
        if (connection is null)
        {
            FrameworkLog.Dropped(_logger, message.GetType().Name);
            return ValueTask.CompletedTask;
        }
        return SendOrDropAsync(connection, message);
    }

    private async ValueTask SendOrDropAsync(IMessageConnection connection, DcOsMessage message)
    {
        try
        {
            await connection.SendAsync(message).ConfigureAwait(false);
        }
        catch (ConnectionClosedException)
        {
            FrameworkLog.Dropped(_logger, message.GetType().Name);
        }
    }

    public ValueTask AcceptAsync(IReadOnlyList<OfferId> offerIds, IReadOnlyList<TaskSpec> tasks, Filters? filters = null)
    {
        ArgumentNullException.ThrowIfNull(offerIds);
        Answered(offerIds);
        return SendAsync(new Accept { OfferIds = [.. offerIds], Launch = [.. tasks], RefuseSeconds = filters?.RefuseSeconds });
    }

    public ValueTask DeclineAsync(IReadOnlyList<OfferId> offerIds, Filters? filters = null, IReadOnlyDictionary<PlacementReason, long>? reasons = null)
    {
        ArgumentNullException.ThrowIfNull(offerIds);
        Answered(offerIds);
        return SendAsync(new Decline
        {
            OfferIds = [.. offerIds],
            RefuseSeconds = filters?.RefuseSeconds,
            Reasons = reasons?.ToDictionary(kv => (int)kv.Key, kv => kv.Value),
        });
    }

    public ValueTask ReviveAsync(params string[] roles) => SendAsync(new Revive { Roles = [.. roles] });

    public ValueTask SuppressAsync(params string[] roles) => SendAsync(new Suppress { Roles = [.. roles] });

    public ValueTask KillTaskAsync(TaskId taskId, AgentId agentId = default) =>
        SendAsync(new KillTask { FrameworkId = FrameworkId, TaskId = taskId, AgentId = agentId });

    public ValueTask ReconcileAsync(IReadOnlyList<(TaskId TaskId, AgentId AgentId)> tasks) =>
        SendAsync(new Reconcile { Tasks = [.. tasks.Select(t => new ReconcileTask { TaskId = t.TaskId, AgentId = t.AgentId })] });

    public ValueTask AcknowledgeAsync(TaskStatusUpdate status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (!status.NeedsAcknowledgement) return ValueTask.CompletedTask;
        return SendAsync(new StatusUpdateAck { FrameworkId = FrameworkId, AgentId = status.AgentId, TaskId = status.TaskId, UpdateId = status.UpdateId });
    }

    public ValueTask SendFrameworkMessageAsync(AgentId agentId, ExecutorId executorId, byte[] data) =>
        SendAsync(new FrameworkMessage { FrameworkId = FrameworkId, AgentId = agentId, ExecutorId = executorId, Data = data });

    public async Task<BatchPlacement> PlaceTasksAsync(IReadOnlyList<TaskSpec> tasks, ObjectiveKind objective = ObjectiveKind.Cheapest, TimeSpan? estimatedDuration = null)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var connection = _connection ?? throw new InvalidOperationException("not connected to the master");
        var answer = await connection.RequestAsync(new PlaceTasks
        {
            Tasks = [.. tasks],
            Objective = objective,
            EstimatedDurationSeconds = (estimatedDuration ?? TimeSpan.FromHours(1)).TotalSeconds,
        }, _options.SubscribeTimeout).ConfigureAwait(false);
        return answer switch
        {
            PlacementResult r => new BatchPlacement(
                [.. r.Placed.Select(p => new TaskAssignment
                {
                    TaskIndex = p.TaskIndex,
                    TaskId = p.TaskId,
                    MachineIndex = -1,
                    AgentId = p.AgentId,
                    OfferIds = [],
                    Cost = p.Cost,
                    // The wire carries the cost to completion; per hour follows from the runtime.
                    ChargebackPerHour = p.RuntimeTicks > 0 ? p.Cost / TimeSpan.FromTicks(p.RuntimeTicks).TotalHours : 0,
                    Runtime = TimeSpan.FromTicks(Math.Max(0, p.RuntimeTicks)),
                    EstimatedFinish = new DateTimeOffset(Math.Clamp(p.EstimatedFinishTicks, DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks), TimeSpan.Zero),
                })],
                [.. r.Unplaced.Select(u => new UnplacedTask { TaskIndex = u.TaskIndex, TaskId = u.TaskId, Reason = u.Reason, Detail = u.Detail })],
                r.CostPerHour),
            ErrorMessage e => throw new InvalidOperationException("the master refused the placement: " + e.Message),
            _ => throw new InvalidOperationException($"unexpected answer {answer.GetType().Name}"),
        };
    }

    public async Task TeardownAsync()
    {
        await SendAsync(new Teardown { FrameworkId = FrameworkId }).ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default) => await DisposeAsync().ConfigureAwait(false);

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_connector is not null) await _connector.DisposeAsync().ConfigureAwait(false);
        _connection = null;
        _events.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _subscribed.TrySetCanceled();
    }
}
