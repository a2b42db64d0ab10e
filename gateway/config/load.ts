/** Reading the configuration file is shared with the CLIs; it lives beside the config stores. */
export { ConfigError, loadGatewayConfig, parseGatewayConfig } from '../../stores/config/file.ts';
