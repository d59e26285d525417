using System.Net;
using DcOs.Core;
using DcOs.Transport;

namespace DcOs.Framework;

/// <summary>How a framework reaches the master and who it is.</summary>
public sealed class FrameworkOptions
{
    /// <summary>The master's address. Default 127.0.0.1:5050.</summary>
    public EndPoint Master { get; set; } = new IPEndPoint(IPAddress.Loopback, 5050);

    /// <summary>The framework's description; set <see cref="FrameworkInfo.Id"/> to fail over an existing framework.</summary>
    public FrameworkInfo Framework { get; set; } = new() { Name = "framework" };

    /// <summary>Credentials; default: principal = framework name, role Framework, no secret.</summary>
    public ClientCredentials? Credentials { get; set; }

    /// <summary>Acknowledge each status update after the scheduler handled it. Default true.</summary>
    public bool AutoAcknowledge { get; set; } = true;

    /// <summary>First reconnection delay (grows exponentially with jitter). Default 100 ms.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest reconnection delay. Default 10 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long offers are declined for when the scheduler's offers callback threw without answering them: short, so
    /// the framework is offered again soon (its bug may depend on the offer), long enough not to spin. Default 5 s.
    /// </summary>
    public TimeSpan FailedCallbackRefuse { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for the master's answer to a subscription. Default 30 s.</summary>
    public TimeSpan SubscribeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Master, nameof(Master));
        ArgumentNullException.ThrowIfNull(Framework, nameof(Framework));
        Framework.Validate();
        if (ReconnectInitialDelay <= TimeSpan.Zero) throw new ArgumentException("FrameworkOptions.ReconnectInitialDelay: must be positive", nameof(ReconnectInitialDelay));
        if (ReconnectMaxDelay < ReconnectInitialDelay) throw new ArgumentException("FrameworkOptions.ReconnectMaxDelay: must be at least ReconnectInitialDelay", nameof(ReconnectMaxDelay));
        if (FailedCallbackRefuse < TimeSpan.Zero) throw new ArgumentException("FrameworkOptions.FailedCallbackRefuse: must not be negative", nameof(FailedCallbackRefuse));
        if (SubscribeTimeout <= TimeSpan.Zero) throw new ArgumentException("FrameworkOptions.SubscribeTimeout: must be positive", nameof(SubscribeTimeout));
    }
}
