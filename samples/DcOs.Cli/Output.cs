using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DcOs.Cli;

/// <summary>
/// Where a command writes: Spectre consoles over stdout and stderr for people, the raw stdout writer for
/// <c>--json</c> and log text. Colors and live displays only when the writer is the real terminal.
/// </summary>
internal sealed class Output
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public Output(TextWriter stdout, TextWriter stderr, bool json)
    {
        Stdout = stdout;
        Stderr = stderr;
        Json = json;
        _terminal = IsTerminal(stdout, Console.Out, Console.IsOutputRedirected);
        Out = CreateConsole(stdout, _terminal);
        Err = CreateConsole(stderr, IsTerminal(stderr, Console.Error, Console.IsErrorRedirected));
    }

    private readonly bool _terminal;

    public TextWriter Stdout { get; }

    public TextWriter Stderr { get; }

    /// <summary>Print the master's JSON and nothing else.</summary>
    public bool Json { get; }

    /// <summary>The console over stdout: tables and messages for people.</summary>
    public IAnsiConsole Out { get; }

    /// <summary>The console over stderr: warnings.</summary>
    public IAnsiConsole Err { get; }

    /// <summary>Whether stdout is a terminal that can show a live status line.</summary>
    public bool Interactive => Out.Profile.Capabilities.Interactive;

    public void WriteJson(JsonElement element) => Stdout.WriteLine(JsonSerializer.Serialize(element, Indented));

    /// <summary>A line of text for people, with Spectre markup in <paramref name="markup"/>; values must be escaped.</summary>
    public void Line(string markup) => Out.MarkupLine(markup);

    public void Warning(string message) => Err.MarkupLine("[yellow]warning:[/] " + Markup.Escape(message));

    /// <summary>The one-line error message; written as plain text so that it is never wrapped.</summary>
    public void Error(string message) => Stderr.WriteLine("error: " + OneLine(message));

    public static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>
    /// Writes a table: with rounded borders on a terminal, and borderless columns (like <c>docker ps</c>) into pipes
    /// and files, where <c>grep</c> and <c>awk</c> read them.
    /// </summary>
    public void Write(Table table)
    {
        if (!_terminal)
        {
            table.Border(TableBorder.None);
            for (var i = 0; i < table.Columns.Count; i++) table.Columns[i].Padding(0, 0, i == table.Columns.Count - 1 ? 0 : 3, 0);
        }
        Out.Write(table);
    }

    public static Table Table(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers) table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        return table;
    }

    /// <summary>Adds a row of plain text cells (no markup interpretation).</summary>
    public static void Row(Table table, params string?[] cells) => table.AddRow(cells.Select(c => (IRenderable)new Text(c ?? "-")).ToArray());

    public static IRenderable Colored(string text, string color) => new Markup($"[{color}]{Markup.Escape(text)}[/]");

    public static string Number(double value, string format = "0.##") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Money(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    public static string Percent(double fraction) => (fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    public static string Age(DateTimeOffset? time, DateTimeOffset now)
    {
        if (time is not { } t) return "-";
        var span = now - t;
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        return span.TotalSeconds < 60 ? $"{(int)span.TotalSeconds}s ago"
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m ago"
            : span.TotalHours < 48 ? $"{(int)span.TotalHours}h ago"
            : $"{(int)span.TotalDays}d ago";
    }

    public static string Truncate(string? text, int max)
    {
        if (string.IsNullOrEmpty(text)) return "-";
        var line = OneLine(text);
        return line.Length <= max ? line : line[..(max - 3)] + "...";
    }

    private static bool IsTerminal(TextWriter writer, TextWriter console, bool redirected) => ReferenceEquals(writer, console) && !redirected;

    private static IAnsiConsole CreateConsole(TextWriter writer, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
        {
            // Pipes and files: lines are never wrapped.
            console.Profile.Width = 400;
        }
        return console;
    }
}
