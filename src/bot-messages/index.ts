export { BOTS, botNameFor, watchedBots, type BotName, type BotMessage, type WatchedBotId } from './bots.js';
export { parseAmountTiyin, formatHumo, formatCardXabar, MAX_TIYIN } from './amount.js';
export { messageLines } from './normalise.js';
export { parseBotMessage, parseBotText, reviewAmount, MAX_TEXT_CHARS, type ParseResult, type NonCreditReason } from './parse.js';
export { humoCreditMessage, humoReversalMessage, humoDebitMessage, type ComposeOptions } from './compose.js';
