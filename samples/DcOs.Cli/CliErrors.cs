namespace DcOs.Cli;

/// <summary>The process exit codes of <c>dcos</c>.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>The master refused the request, or a file was invalid.</summary>
    public const int Error = 1;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;

    /// <summary>The master could not be reached.</summary>
    public const int Unreachable = 3;

    /// <summary>A deployment did not converge within <c>--timeout</c>.</summary>
    public const int Timeout = 4;

    /// <summary>Interrupted with Ctrl+C.</summary>
    public const int Interrupted = 130;
}

/// <summary>An error that ends the command with a one-line message and an exit code.</summary>
internal class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The master refused what was sent (400, 413, 422): its answer names the field at fault.</summary>
internal sealed class RefusedException(string message) : CliException(ExitCodes.Error, message);

/// <summary>A wrong command line found after parsing (a bad --master URL): exit code 2 and the help of the command.</summary>
internal sealed class UsageException(string message) : CliException(ExitCodes.Usage, message);
